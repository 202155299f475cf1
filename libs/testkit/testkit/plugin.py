"""pytest fixtures for isolated infrastructure."""
