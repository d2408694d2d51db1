#!/usr/bin/python3
"""Reads a subunit v2 stream (stdin) and prints one JSON object per line:
{"id", "status", "reason", "requests"} for every test or class fixture.

Run with the system python (/usr/bin/python3), which has python3-subunit.
"reason" is the last exception line(s) of the traceback or the skip reason;
"requests" are the non-2xx requests Tempest logged during the test (from
its captured "pythonlogging" detail).
"""
import json
import re
import sys

import subunit
import testtools

REQ = re.compile(r"Request \(([^)]*)\): (\d{3}) (\w+) (\S+)")


def text_of(details, name):
    d = details.get(name)
    if d is None:
        return ""
    try:
        return d.as_text()
    except Exception:  # binary or undecodable detail
        return ""


def reason_of(tb):
    """The exception lines at the end of a traceback (incl. Tempest's 'Details:')."""
    lines = [ln for ln in tb.rstrip().splitlines() if ln.strip()]
    if not lines:
        return ""
    # Walk back to the last line that does not start with whitespace and is not
    # a 'File ...' frame: the exception line; keep what follows (Details: ...).
    for i in range(len(lines) - 1, -1, -1):
        ln = lines[i]
        if not ln.startswith((" ", "\t")) and not ln.startswith("Traceback"):
            start = i
            while start > 0 and not lines[start - 1].startswith((" ", "\t", "Traceback")):
                start -= 1
            return " ".join(x.strip() for x in lines[start:])[:1500]
    return lines[-1][:1500]


class Collector(testtools.StreamResult):
    def __init__(self):
        super().__init__()
        self.details = {}

    def status(self, test_id=None, test_status=None, test_tags=None,
               runnable=True, file_name=None, file_bytes=None, eof=False,
               mime_type=None, route_code=None, timestamp=None):
        if test_id is None:
            return
        d = self.details.setdefault(test_id, {"files": {}, "status": None})
        if file_name is not None and file_bytes:
            d["files"][file_name] = d["files"].get(file_name, b"") + bytes(file_bytes)
        if test_status in ("success", "fail", "skip", "xfail", "uxsuccess"):
            d["status"] = test_status


def main():
    stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="stdout")
    c = Collector()
    c.startTestRun()
    stream.run(c)
    c.stopTestRun()
    for tid, d in c.details.items():
        if d["status"] is None:
            continue
        files = {k: v.decode("utf-8", "replace") for k, v in d["files"].items()}
        status = {"success": "pass", "xfail": "pass", "fail": "fail", "uxsuccess": "fail", "skip": "skip"}[d["status"]]
        reason = ""
        if status == "fail":
            reason = reason_of(files.get("traceback", "") or files.get("reason", ""))
        elif status == "skip":
            reason = (files.get("reason", "") or "").strip()[:500]
        requests = []
        for m in REQ.finditer(files.get("pythonlogging", "")):
            if not m.group(2).startswith("2"):
                requests.append("%s %s %s" % (m.group(2), m.group(3), re.sub(r"^https?://[^/]+", "", m.group(4))))
        print(json.dumps({"id": tid, "status": status, "reason": reason, "requests": requests[-5:]}))


if __name__ == "__main__":
    main()
