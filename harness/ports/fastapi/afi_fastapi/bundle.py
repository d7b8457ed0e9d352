"""Context bundles: data, per-viewer ETag, If-None-Match and cache headers (CTX-2..CTX-5)."""
import hashlib
import hmac

from .envelope import dumps


def etag(secret: bytes, sub: str, context: str, members, data: dict) -> str:
    """CTX-4: HMAC-SHA256 keyed with the secret over sub, context and each member's
    name, rev and compact result; sub is "" for public bundles (same tag for everyone).
    Results are hashed, so a write the viewer can see changes the tag (INV-2)."""
    mac = hmac.new(secret, digestmod=hashlib.sha256)
    mac.update(sub.encode("utf-8") + b"\0" + context.encode("utf-8") + b"\0")
    for fn in members:
        result = dumps(data[fn.name])
        mac.update(fn.name.encode("utf-8") + b"\0" + str(fn.rev).encode() + b"\0" + result + b"\0")
    return '"' + mac.hexdigest()[:32] + '"'


def if_none_match(header: str, current: str) -> bool:
    """CTX-4: a comma-separated list, weak comparison, `*` matches any current bundle."""
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == "*" or tag == current:
            return True
    return False


def cache_headers(public: bool, tag: str) -> dict:
    """CTX-5: private + Vary for bundles with a non-public member."""
    if public:
        return {"ETag": tag, "Cache-Control": "no-cache"}
    return {"ETag": tag, "Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}
