"""The board's pages, one module each, each with a ``render()`` the app's navigation calls."""
