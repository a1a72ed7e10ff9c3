"""Library: the community's shared practice — uploaded files, links and documents written together."""
