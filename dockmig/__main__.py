from __future__ import annotations

from dockmig.cli import main

if __name__ == "__main__":
    main()
