"""Signal handlers (web tier). Features connect their receivers here."""
