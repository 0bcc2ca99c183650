"""Request bodies: webargs' Flask parser, decoding JSON with orjson (a batch of 500 fixes is ~100 KB)."""

from __future__ import annotations

import orjson
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


class JsonParser(FlaskParser):
    """FlaskParser with orjson's decoder: about 3× faster, and stricter (no NaN or Infinity literals)."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        body = req.get_data(cache=True)
        if not body:
            return core.missing
        # orjson.JSONDecodeError is a json.JSONDecodeError, so a bad body still gets webargs' 400.
        return orjson.loads(body)
