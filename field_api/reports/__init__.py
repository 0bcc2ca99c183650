"""Service-standard compliance reports (article 4): measures in SQL, periods, rendering and publishing."""
