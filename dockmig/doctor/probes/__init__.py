"""One module per doctor probe; `dockmig.doctor.PROBE_MODULES` lists them."""
