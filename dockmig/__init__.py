"""dockmig: keep Kamal 2 deployments correct while moving engines and registries."""

from __future__ import annotations

__version__ = "0.1.0"
