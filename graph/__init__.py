"""linkgraph: a health publisher's articles as a knowledge graph, and the links they are missing."""

__version__ = "0.1.0"
