"""Facts about a host: each one a command (an argv list) and a pure parser of its output.

Read alike by the deploy engine, the roles' checks and the runbook; no fact changes anything.
"""

# Host-side code for facts that read or write JSON: `loads` and `dumps` from the interpreter's C accelerator
# (`_json`), because importing `json` pulls in `re` and `enum`, 0.35 s under emulation (see verify's batch).
HOST_JSON = r"""
import _json
class _Decoding:
    strict, object_hook, object_pairs_hook = True, None, None
    parse_float, parse_int, parse_constant = float, int, float
_scan = _json.make_scanner(_Decoding)
def loads(text):
    text = text.strip(" \t\n\r")
    try:
        value, end = _scan(text, 0)
    except (StopIteration, SystemError):  # without json.decoder loaded, the C scanner's errors are these
        raise ValueError("not JSON") from None
    if end != len(text):
        raise ValueError("not JSON: text after the value")
    return value
def _unencodable(value):
    raise TypeError("cannot write %s as JSON" % type(value).__name__)
_encode = _json.make_encoder(None, _unencodable, _json.encode_basestring_ascii, None, ": ", ", ",
                             False, False, True)
def dumps(value):
    return "".join(_encode(value, 0))
"""


def python_fact(program: str, *args: str) -> tuple[str, ...]:
    """A fact read by a small stdlib python3 program: verify's batch runs it inside its own interpreter."""
    return ("python3", "-S", "-c", program, *args)
