"""Marshmallow schemas of the HTTP API: the edge where input is parsed and output shaped."""
