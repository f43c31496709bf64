"""Admin views (editor actions, jobs listing, bulk action)."""
