"""JSON Schemas shipped with dockmig; installed as the package `dockmig.schemas`."""
