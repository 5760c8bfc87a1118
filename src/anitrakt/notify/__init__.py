"""Notifications: Apprise alerts (NOTIFY_URLS, NOTIFY_ON) and healthcheck pings."""
