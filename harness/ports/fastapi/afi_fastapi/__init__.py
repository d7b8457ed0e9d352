"""AFI v1 served by FastAPI: the second implementation of the protocol (see docs/porting.md)."""
