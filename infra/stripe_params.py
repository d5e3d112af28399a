#!/usr/bin/env python3
"""Generate the Stripe Checkout Session request-parameter fixture.

Introspects the typed request parameters (TypedDicts) shipped by the `stripe`
PyPI package and writes a JSON description of every form-encoded parameter
path Stripe's wire accepts for:

  * POST /v1/checkout/sessions               -> "checkout.session.create"
  * POST /v1/checkout/sessions/{id}/expire   -> "checkout.session.expire"

Usage:
    python infra/stripe_params.py > tests/fixtures/stripe/params.json
    python infra/stripe_params.py tests/fixtures/stripe/params.json
    python infra/stripe_params.py --check [OUTPUT]   # also verify key paths

Path syntax (matching what the Rust fake normalises to):
  * nested objects:            a[b][c]
  * lists:                     a[]        (wire `a[0]` is normalised to `a[]`)
  * free-form maps (metadata): a[*]

Each path maps to one of:
  {"type": "string"} | {"type": "integer"} | {"type": "boolean"}
  {"type": "number"}   (float, e.g. application_fee_percent)
  {"type": "decimal"}  (decimal string, e.g. unit_amount_decimal)
  {"type": "enum", "values": [...]}
  {"type": "empty"}    a container (object/list/map) that may be unset by
                       sending an empty string at that exact path
and leaves gain "emptyable": true when the SDK types them as `Literal[""] | T`
(Stripe treats "" as "unset" for those; for other params "" is rejected with
`parameter_invalid_empty`).

The SDK types enums as `Literal[...] | str` for forward compatibility; the
`str` arm is dropped here and the value is recorded as a closed enum.

Per operation, "required" lists the top-level keys that are required
(non-`NotRequired` keys), and "nested_required" lists the deeper paths whose
key is required whenever its enclosing object is sent (e.g.
`line_items[][price_data][currency]`).

Only the standard library and the `stripe` package are used.  Python 3.9+.
"""

import collections.abc
import decimal
import importlib
import json
import sys
import typing

import stripe

# (operation name, module, class) - module is the private fallback location.
OPERATIONS = [
    (
        "checkout.session.create",
        "stripe.params.checkout._session_create_params",
        "SessionCreateParams",
    ),
    (
        "checkout.session.expire",
        "stripe.params.checkout._session_expire_params",
        "SessionExpireParams",
    ),
]

# Paths the service relies on, with the expected type (and enum values that
# must be present).  Used by --check.
EXPECTED = {
    "checkout.session.create": [
        ("mode", "enum", ["payment", "setup", "subscription"]),
        ("line_items[][price_data][currency]", "string", None),
        ("line_items[][price_data][unit_amount]", "integer", None),
        ("line_items[][price_data][product_data][name]", "string", None),
        ("line_items[][price_data][recurring][interval]", "enum",
         ["day", "month", "week", "year"]),
        ("line_items[][quantity]", "integer", None),
        ("line_items[][adjustable_quantity][enabled]", "boolean", None),
        ("line_items[][adjustable_quantity][minimum]", "integer", None),
        ("line_items[][adjustable_quantity][maximum]", "integer", None),
        ("success_url", "string", None),
        ("cancel_url", "string", None),
        ("expires_at", "integer", None),
        ("client_reference_id", "string", None),
        ("metadata[*]", "string", None),
        ("customer_email", "string", None),
        ("allow_promotion_codes", "boolean", None),
        ("phone_number_collection[enabled]", "boolean", None),
        ("billing_address_collection", "enum", ["auto", "required"]),
        ("shipping_address_collection[allowed_countries][]", "enum",
         ["US", "GB", "DE"]),
        ("payment_intent_data[description]", "string", None),
        ("custom_text[submit][message]", "string", None),
        ("locale", "enum", ["auto", "en"]),
        ("expand[]", "string", None),
    ],
    "checkout.session.expire": [
        ("expand[]", "string", None),
    ],
}


class IntrospectionError(Exception):
    pass


# --------------------------------------------------------------------------
# Type resolution
# --------------------------------------------------------------------------


def _extra_namespace():
    """Names used in annotations but imported only under TYPE_CHECKING."""
    ns = {}
    try:
        from stripe._stripe_context import StripeContext

        ns["StripeContext"] = StripeContext
    except Exception:  # pragma: no cover - depends on SDK version
        pass
    return ns


EXTRA_NS = _extra_namespace()


def _split_top_level_union(src):
    """Split "A|B[C|D]|'x|y'" on top-level `|` only."""
    parts, depth, quote, cur = [], 0, None, []
    for ch in src:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur).strip())
    return parts


def _eval_str(src, globalns):
    """Evaluate a string annotation; `X|Y` works even on Python 3.9."""
    parts = _split_top_level_union(src)
    values = [eval(p, dict(globalns), dict(EXTRA_NS)) for p in parts]  # noqa: S307
    if len(values) == 1:
        return values[0]
    return typing.Union[tuple(values)]


def _resolve(tp, globalns):
    """Resolve a (possibly) forward-referenced annotation node."""
    if isinstance(tp, str):
        return _eval_str(tp, globalns)
    if isinstance(tp, typing.ForwardRef):
        return _eval_str(tp.__forward_arg__, globalns)
    return tp


def _is_typeddict(tp):
    return (
        isinstance(tp, type)
        and issubclass(tp, dict)
        and hasattr(tp, "__annotations__")
        and hasattr(tp, "__total__")
    )


def _hints(td, skip=()):
    """get_type_hints(..., include_extras=True), with a per-key fallback.

    get_type_hints evaluates every key, including request-option keys such as
    `"str | StripeContext | None"` which can fail (TYPE_CHECKING-only imports,
    or `X|Y` syntax on Python 3.9).  On failure we resolve only the keys we
    need, lazily, through _resolve().
    """
    globalns = vars(sys.modules[td.__module__])
    try:
        hints = typing.get_type_hints(
            td, globalns=globalns, localns=EXTRA_NS, include_extras=True
        )
    except Exception:
        hints = dict(td.__annotations__)
    return {k: v for k, v in hints.items() if k not in skip}, globalns


def _form_name(origin):
    """Name of a typing special form/origin, robust to typing_extensions."""
    if origin is None:
        return None
    for attr in ("_name", "__name__"):
        name = getattr(origin, attr, None)
        if name:
            return name
    return repr(origin)


def _unwrap(tp, globalns):
    """Strip Annotated/Required/NotRequired; return (type, required flag)."""
    required = None
    while True:
        tp = _resolve(tp, globalns)
        name = _form_name(typing.get_origin(tp))
        if name == "Annotated":
            tp = typing.get_args(tp)[0]
        elif name == "Required":
            required = True if required is None else required
            tp = typing.get_args(tp)[0]
        elif name == "NotRequired":
            required = False if required is None else required
            tp = typing.get_args(tp)[0]
        else:
            return tp, required


def _is_union(tp):
    origin = typing.get_origin(tp)
    if origin is typing.Union:
        return True
    union_type = getattr(__import__("types"), "UnionType", None)
    return union_type is not None and origin is union_type


def _flatten_union(tp, globalns):
    out = []
    for arg in typing.get_args(tp):
        arg, _ = _unwrap(arg, globalns)
        if _is_union(arg):
            out.extend(_flatten_union(arg, globalns))
        else:
            out.append(arg)
    return out


SCALARS = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    decimal.Decimal: "decimal",
}


# --------------------------------------------------------------------------
# Walker
# --------------------------------------------------------------------------


class Walker:
    def __init__(self):
        self.params = {}
        self.nested_required = set()

    def _emit(self, path, entry):
        old = self.params.get(path)
        if old is not None and old != entry:
            raise IntrospectionError(
                "conflicting types at %s: %r vs %r" % (path, old, entry)
            )
        self.params[path] = entry

    @staticmethod
    def _child(path, key):
        return key if not path else "%s[%s]" % (path, key)

    def walk_typeddict(self, td, path, stack, skip=()):
        if td in stack:
            raise IntrospectionError("recursive TypedDict %s at %s" % (td, path))
        hints, globalns = _hints(td, skip)
        required_keys = getattr(td, "__required_keys__", None)
        required = []
        for key in sorted(hints):
            tp, flag = _unwrap(hints[key], globalns)
            if required_keys is not None:
                is_req = key in required_keys
            elif flag is not None:
                is_req = flag
            else:
                is_req = bool(getattr(td, "__total__", True))
            child = self._child(path, key)
            if is_req:
                required.append(key)
                if path:
                    self.nested_required.add(child)
            self.walk(tp, child, globalns, stack + (td,))
        return required

    def walk(self, tp, path, globalns, stack, emptyable=False):
        tp, _ = _unwrap(tp, globalns)
        origin = typing.get_origin(tp)
        oname = _form_name(origin)

        if _is_union(tp) or oname == "Literal":
            members = _flatten_union(tp, globalns) if _is_union(tp) else [tp]
            literals, others = [], []
            for m in members:
                if _form_name(typing.get_origin(m)) == "Literal":
                    literals.extend(typing.get_args(m))
                elif m is type(None):
                    continue  # Optional: nothing on the wire
                else:
                    others.append(m)
            if "" in literals:
                emptyable = True
                literals = [v for v in literals if v != ""]
            if literals:
                # Literal[...] | str  -> closed enum (str is SDK forward-compat)
                extra = [o for o in others if o is not str]
                if extra:
                    raise IntrospectionError(
                        "enum mixed with %r at %s" % (extra, path)
                    )
                if not all(isinstance(v, str) for v in literals):
                    raise IntrospectionError("non-string Literal at %s" % path)
                entry = {"type": "enum", "values": sorted(set(literals))}
                if emptyable:
                    entry["emptyable"] = True
                self._emit(path, entry)
                return
            if not others:
                self._emit(path, {"type": "empty"})
                return
            # e.g. Dict[str, str] | UntypedStripeObject[str]: walk every arm;
            # _emit() rejects arms that disagree on a path.
            for other in others:
                self.walk(other, path, globalns, stack, emptyable)
            return

        if tp in SCALARS:
            entry = {"type": SCALARS[tp]}
            if emptyable:
                entry["emptyable"] = True
            self._emit(path, entry)
            return

        # Containers: an emptyable container can be unset with `path=`.
        if emptyable:
            self._emit(path, {"type": "empty"})

        if origin in (list, typing.List) or oname in ("List", "list"):
            (item,) = typing.get_args(tp)
            self.walk(item, path + "[]", globalns, stack)
            return

        if origin in (dict, collections.abc.Mapping) or oname in (
            "Dict", "dict", "Mapping",
        ):
            key_t, value_t = typing.get_args(tp)
            if key_t is not str:
                raise IntrospectionError("non-str map key at %s" % path)
            self.walk(value_t, path + "[*]", globalns, stack)
            return

        if oname == "UntypedStripeObject":
            (value_t,) = typing.get_args(tp)
            self.walk(value_t, path + "[*]", globalns, stack)
            return

        if _is_typeddict(tp):
            self.walk_typeddict(tp, path, stack)
            return

        raise IntrospectionError("unsupported type %r at %s" % (tp, path))


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------


def _load_class(module_name, class_name):
    # Public re-export first (stripe.params.checkout.SessionCreateParams).
    public = module_name.rsplit(".", 1)[0]
    try:
        return getattr(importlib.import_module(public), class_name)
    except (ImportError, AttributeError):
        return getattr(importlib.import_module(module_name), class_name)


def _request_option_keys():
    try:
        from stripe._request_options import RequestOptions
    except ImportError:  # pragma: no cover
        return frozenset()
    return frozenset(RequestOptions.__annotations__)


def build():
    skip = _request_option_keys()
    operations = {}
    for op, module_name, class_name in OPERATIONS:
        td = _load_class(module_name, class_name)
        walker = Walker()
        required = walker.walk_typeddict(td, "", (), skip=skip)
        operations[op] = {
            "params": walker.params,
            "required": sorted(required),
            "nested_required": sorted(walker.nested_required),
        }
    return {
        "stripe_version": stripe.VERSION,
        "operations": operations,
    }


def check(doc, out=sys.stderr):
    ok = True
    for op, expected in EXPECTED.items():
        params = doc["operations"][op]["params"]
        print("%s (%d paths, required=%s)" % (
            op, len(params), doc["operations"][op]["required"]), file=out)
        for path, typ, values in expected:
            entry = params.get(path)
            good = entry is not None and entry["type"] == typ
            if good and values:
                good = set(values) <= set(entry.get("values", []))
            ok &= good
            desc = "MISSING" if entry is None else entry["type"]
            if entry and entry["type"] == "enum":
                vals = entry["values"]
                desc += " (%d values: %s%s)" % (
                    len(vals), ", ".join(vals[:6]), ", ..." if len(vals) > 6 else "")
            if entry and entry.get("emptyable"):
                desc += " emptyable"
            print("  %-4s %-50s %s" % ("ok" if good else "FAIL", path, desc),
                  file=out)
    return ok


def main(argv):
    args = [a for a in argv if a != "--check"]
    if len(args) > 1 or any(a.startswith("-") for a in args):
        print(__doc__, file=sys.stderr)
        return 2
    doc = build()
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if args:
        with open(args[0], "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    if "--check" in argv and not check(doc):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
