"""The wire layer: one JSON POST (:mod:`.http`), pure Kiwoom wire facts (:mod:`.protocol`),
the token lifecycle (:mod:`.tokens`), per-TR pacing (:mod:`.pacing`) and the TR transport
that combines them (:mod:`.tr`). Nothing here knows about caching, retries or MCP.
"""
