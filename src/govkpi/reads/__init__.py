"""Reads: what every face (pages, API, portal, exports, stream) shows, each module one domain question."""
