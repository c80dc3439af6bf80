"""Analysis: link metrics (networkx), link-gap suggestions and content gaps (scipy sparse)."""
