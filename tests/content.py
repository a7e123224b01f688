#!/usr/bin/env python3
"""End-to-end tests for typing: UTF-16 text, binaries and media.

Fixtures are built here at test time (UTF-16 with Python's codecs, a PNG
and an ELF-like binary by hand, a zip with zipfile). Every scan runs with
-j1 and -j4 and both must give the same records (helpers from e2e.py).
Secret-shaped values are assembled at run time.
"""
import io
import os
import struct
import sys
import unittest
import zipfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402

AKID = e2e.AKID
# A Luhn-valid card number that is not a documented test value.
CARD = e2e.splice("4539 1488 {{}}0343 6467")
CARD_DIGITS = CARD.replace(" ", "")


def luhn_ok(digits):
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def png_with_text(text):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"tEXt", b"Comment\x00" + text.encode()) +
            chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def elf_with(strings):
    head = b"\x7fELF\x02\x01\x01" + b"\x00" * 57
    body = b"".join(b"\x00\x00\x10\x00" + s.encode() + b"\x00" for s in strings)
    return head + body + b"\x00" * 64


def findings_by_rule(recs):
    return sorted(f["rule"]["id"] for f in e2e.findings(recs))


def summary(recs):
    return recs[-1]


class Types(e2e.TreeCase):
    def setUp(self):
        self.assertTrue(luhn_ok(CARD_DIGITS))
        super().setUp()

    def aws(self, recs):
        return [f for f in e2e.findings(recs) if f["rule"]["id"] == "aws.access-key-id"]

    def test_utf16le_with_bom(self):
        text = "# caf\u00e9 \u4e2d\u6587\naws_access_key_id = %s\n" % AKID
        data = b"\xff\xfe" + text.encode("utf-16-le")
        self.put("creds.txt", data)
        _, _, _, recs = e2e.scan(self, ["creds.txt"], cwd=self.d)
        (f,) = self.aws(recs)
        loc = f["location"]
        off = data.index(AKID.encode("utf-16-le"))
        line_start = data.index("\n".encode("utf-16-le")) + 2
        self.assertEqual((loc["line"], loc["offset"], loc["length"]), (2, off, 2 * len(AKID)))
        self.assertEqual(loc["column"], off - line_start + 1)
        self.assertEqual(loc["end_column"], loc["column"] + loc["length"])
        self.assertIn("aws_access_key_id = AKIA", f["context"])
        self.assertEqual(summary(recs)["utf16"], 1)
        # The same key in UTF-8 has the same fingerprint.
        self.put("creds8.txt", text.encode())
        _, _, _, recs8 = e2e.scan(self, ["creds8.txt"], cwd=self.d)
        self.assertEqual(self.aws(recs8)[0]["secret"]["fingerprint"], f["secret"]["fingerprint"])

    def test_utf16be_without_bom(self):
        text = "line one\nline two\n  key=%s\n" % AKID
        data = text.encode("utf-16-be")
        self.put("be.txt", data)
        _, _, _, recs = e2e.scan(self, ["be.txt"], cwd=self.d)
        (f,) = self.aws(recs)
        loc = f["location"]
        self.assertEqual((loc["line"], loc["column"], loc["offset"], loc["length"]),
                         (3, 13, data.index(AKID.encode("utf-16-be")), 40))

    def test_utf16_member_in_a_zip(self):
        data = b"\xff\xfe" + ("x=1\nk=%s\n" % AKID).encode("utf-16-le")
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("conf/app.ini", data)
        self.put("bundle.zip", b.getvalue())
        _, _, _, recs = e2e.scan(self, ["bundle.zip"], cwd=self.d)
        (f,) = self.aws(recs)
        loc = f["location"]
        self.assertEqual(loc["chain"], ["conf/app.ini"])
        self.assertEqual((loc["line"], loc["column"], loc["offset"]),
                         (2, 5, data.index(AKID.encode("utf-16-le"))))

    def test_png_is_skipped_and_counted(self):
        self.put("img/logo.png", png_with_text("card %s key %s\n" % (CARD, AKID)))
        _, _, _, recs = e2e.scan(self, ["img"], cwd=self.d)
        self.assertEqual(e2e.findings(recs), [])
        self.assertEqual(e2e.notices(recs), [])
        self.assertEqual(summary(recs)["skipped"]["media"], 1)
        self.assertEqual(summary(recs)["files"], 1)
        # --media=scan: scanned as binary content (secrets only by default).
        _, _, _, recs = e2e.scan(self, ["--media=scan", "img"], cwd=self.d)
        self.assertEqual(findings_by_rule(recs), ["aws.access-key-id"])
        self.assertEqual(summary(recs)["skipped"]["media"], 0)
        self.assertEqual(summary(recs)["binaries"], 1)
        _, _, _, recs = e2e.scan(self, ["--media=scan", "--binary=all", "img"], cwd=self.d)
        self.assertEqual(findings_by_rule(recs), ["aws.access-key-id", "pii.payment-card"])

    def test_media_inside_an_archive_is_skipped(self):
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w") as z:
            z.writestr("a.png", png_with_text("card %s" % CARD))
            z.writestr("b.env", "k=%s\n" % AKID)
        self.put("site.zip", b.getvalue())
        _, _, _, recs = e2e.scan(self, ["site.zip"], cwd=self.d)
        self.assertEqual(findings_by_rule(recs), ["aws.access-key-id"])
        self.assertEqual(summary(recs)["skipped"]["media"], 1)

    def test_binary_secrets_only_by_default(self):
        self.put("bin/app", elf_with(["aws_key=%s" % AKID, "card %s" % CARD]))
        code, _, _, recs = e2e.scan(self, ["bin"], cwd=self.d)
        self.assertEqual(code, 1)
        self.assertEqual(findings_by_rule(recs), ["aws.access-key-id"])
        self.assertEqual(summary(recs)["binaries"], 1)
        _, _, _, recs = e2e.scan(self, ["--binary=all", "bin"], cwd=self.d)
        self.assertEqual(findings_by_rule(recs), ["aws.access-key-id", "pii.payment-card"])
        code, _, _, recs = e2e.scan(self, ["--binary=skip", "bin"], cwd=self.d)
        self.assertEqual((code, e2e.findings(recs)), (0, []))
        self.assertEqual(summary(recs)["skipped"]["binary"], 1)
        self.assertEqual(summary(recs)["binaries"], 0)

    def test_nul_bytes_without_a_signature_are_binary(self):
        data = b"\x00\x01\x02\x03" * 64 + ("key %s card %s" % (AKID, CARD)).encode() + b"\x00" * 32
        self.put("blob.bin", data)
        _, _, _, recs = e2e.scan(self, ["blob.bin"], cwd=self.d)
        self.assertEqual(findings_by_rule(recs), ["aws.access-key-id"])
        self.assertEqual(summary(recs)["binaries"], 1)

    def test_text_keeps_every_rule(self):
        self.put("pay.txt", ("card %s\nkey %s\n" % (CARD, AKID)).encode())
        _, _, _, recs = e2e.scan(self, ["pay.txt"], cwd=self.d)
        self.assertEqual(findings_by_rule(recs), ["aws.access-key-id", "pii.payment-card"])
        s = summary(recs)
        self.assertEqual((s["binaries"], s["utf16"], s["skipped"]["media"]), (0, 0, 0))

    def test_bad_option_values(self):
        for args in (["--binary=some"], ["--media=maybe"]):
            code, _, err = e2e.run(["scan"] + args + ["."], cwd=self.d)
            self.assertEqual(code, 2, args)
            self.assertIn(args[0].split("=")[0].encode(), err)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed - len(result.skipped), failed))
    sys.exit(1 if failed else 0)
