"""Tracking: surveyors' devices, duty intervals, position fixes and their latest position."""
