#!/usr/bin/env python3
"""End-to-end tests for archives and compressed files.

Fixtures are built here, at test time: with Python's standard library
(zipfile, tarfile, gzip, bz2, lzma) and, where it is installed, bsdtar
(Debian's libarchive-tools) for the formats Python cannot write (7-Zip,
cpio, ISO 9660, xar, ar, WARC, zstd, lz4, lzip, compress) and `zip -P` for
an encrypted member. A test that needs a missing tool is skipped.

Every scan runs with -j1 and -j4 and both must give the same records (the
helpers come from tests/e2e.py). Secret-shaped values are assembled at run
time, as in e2e.py.
"""
import bz2
import gzip
import io
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (shared helpers: run, scan, findings, notices)

AKID = e2e.AKID
GHP = e2e.GHP
BSDTAR = shutil.which("bsdtar")
ZIP = shutil.which("zip")

# The line every fixture member holds: the key is at line 2, column 9.
BODY = ("db.url=jdbc:h2:mem\naws.key=%s\n" % AKID).encode()


def zip_bytes(members, method=zipfile.ZIP_DEFLATED):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for name, data in members:
            z.writestr(name, data)
    return b.getvalue()


def tar_bytes(members, mode="w", fmt=tarfile.PAX_FORMAT, encoding="utf-8"):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode=mode, format=fmt, encoding=encoding) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


def gzip_named(name, data):
    b = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=b, mtime=0) as g:
        g.write(data)
    return b.getvalue()


# ---- formats no free tool writes: built from their published layouts ----

def rar4_stored(name, data):
    """A RAR 4 archive holding one stored file: marker, archive header, file
    header (method 0x30, store), the data, end-of-archive block. Header CRCs
    are the low 16 bits of CRC-32 over the header from its type byte on."""
    import struct
    import zlib

    def block(htype, flags, body, add=b""):
        head = struct.pack("<BHH", htype, flags, 7 + len(body)) + body
        return struct.pack("<H", zlib.crc32(head) & 0xffff) + head + add

    marker = b"Rar!\x1a\x07\x00"
    main = block(0x73, 0, b"\x00" * 6)
    nm = name.encode()
    dos_time = (44 << 25) | (1 << 21) | (1 << 16)  # 2024-01-01 00:00
    fh = struct.pack("<IIBIIBBHI", len(data), len(data), 3, zlib.crc32(data), dos_time, 20, 0x30, len(nm),
                     0o100644) + nm  # host 3 (Unix): the attributes are st_mode
    filehdr = block(0x74, 0x8000, fh, data)
    end = block(0x7b, 0x4000, b"")
    return marker + main + filehdr + end


def crc16_arc(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xa001 if crc & 1 else crc >> 1
    return crc


def lha_lh0(name, data):
    """An LHA archive with one stored (-lh0-) member, level-0 header."""
    import struct
    nm = name.encode()
    dos_time = (44 << 25) | (1 << 21) | (1 << 16)
    rest = b"-lh0-" + struct.pack("<IIIBBB", len(data), len(data), dos_time, 0x20, 0, len(nm)) + nm + \
        struct.pack("<H", crc16_arc(data))
    head = bytes([len(rest), sum(rest) & 0xff]) + rest
    return head + data + b"\x00"


def cab_stored(name, data):
    """A Microsoft cabinet with one folder, one file, one uncompressed data
    block (checksum 0: not computed)."""
    import struct
    nm = name.encode() + b"\x00"
    cffile = struct.pack("<IIHHHH", len(data), 0, 0, (44 << 9) | (1 << 5) | 1, 0, 0x20) + nm
    header_len, folder_len = 36, 8
    data_off = header_len + folder_len + len(cffile)
    cfdata = struct.pack("<IHH", 0, len(data), len(data)) + data
    total = data_off + len(cfdata)
    header = b"MSCF" + struct.pack("<IIIIIBBHHHHH", 0, total, 0, header_len + folder_len, 0, 3, 1, 1, 1, 0, 0x1234, 0)
    folder = struct.pack("<IHH", data_off, 1, 0)
    return header + folder + cffile + cfdata


def located(recs):
    """(path, chain, line, column) of each finding, sorted."""
    return sorted((f["location"]["path"], tuple(f["location"]["chain"]), f["location"]["line"],
                   f["location"]["column"]) for f in e2e.findings(recs))


def noted(recs):
    """(kind, path, chain) of each notice, sorted."""
    return sorted((n["kind"], n["location"]["path"], tuple(n["location"]["chain"])) for n in e2e.notices(recs))


class Archives(e2e.TreeCase):

    def bsdtar(self, out, args, files):
        """Build `out` in self.d with bsdtar from `files` {name: bytes}."""
        src = tempfile.mkdtemp(dir=self.d, prefix="src-")
        for name, data in files.items():
            p = os.path.join(src, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
        subprocess.run([BSDTAR] + args + ["-cf", os.path.join(self.d, out), "-C", src] + sorted(files),
                       check=True, capture_output=True)
        shutil.rmtree(src)

    # ---- formats ----

    def test_each_format_family(self):
        """A secret in every format: chain names the member, positions are the member's."""
        want = []

        def expect(path, chain):
            want.append((path, tuple(chain), 2, 9))

        self.put("a.zip", zip_bytes([("conf/app.properties", BODY)]))
        expect("a.zip", ["conf/app.properties"])
        self.put("stored.jar", zip_bytes([("META-INF/app.properties", BODY)], zipfile.ZIP_STORED))
        expect("stored.jar", ["META-INF/app.properties"])
        self.put("doc.docx", zip_bytes([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", BODY)]))
        expect("doc.docx", ["word/document.xml"])
        for fmt, name in ((tarfile.USTAR_FORMAT, "ustar"), (tarfile.GNU_FORMAT, "gnu"), (tarfile.PAX_FORMAT, "pax")):
            self.put(name + ".tar", tar_bytes([("etc/%s.env" % name, BODY)], fmt=fmt))
            expect(name + ".tar", ["etc/%s.env" % name])
        for mode, ext in (("w:gz", "tar.gz"), ("w:bz2", "tar.bz2"), ("w:xz", "tar.xz")):
            self.put("t." + ext, tar_bytes([("x.env", BODY)], mode=mode))
            expect("t." + ext, ["x.env"])
        self.put("events.json.gz", gzip_named("events.json", BODY))
        expect("events.json.gz", ["events.json"])
        self.put("nameless.gz", gzip.compress(BODY, mtime=0))
        expect("nameless.gz", ["<decompressed>"])
        self.put("dump.sql.bz2", bz2.compress(BODY))
        expect("dump.sql.bz2", ["<decompressed>"])
        self.put("dump.sql.xz", lzma.compress(BODY))
        expect("dump.sql.xz", ["<decompressed>"])
        self.put("dump.sql.lzma", lzma.compress(BODY, format=lzma.FORMAT_ALONE))
        expect("dump.sql.lzma", ["<decompressed>"])
        if BSDTAR:
            for fmt, out in (("7zip", "a.7z"), ("newc", "a.cpio"), ("odc", "odc.cpio"), ("iso9660", "a.iso"),
                             ("xar", "a.xar"), ("ar", "a.ar"), ("warc", "a.warc")):
                self.bsdtar(out, ["--format", fmt], {"app.env": BODY})
                expect(out, ["app.env"])
            for opt, out in (("--zstd", "a.tar.zst"), ("--lz4", "a.tar.lz4"), ("--lzip", "a.tar.lz"),
                             ("-Z", "a.tar.Z")):
                self.bsdtar(out, ["--format", "ustar", opt], {"app.env": BODY})
                expect(out, ["app.env"])
            for opt, out in (("--zstd", "raw.zst"), ("--lz4", "raw.lz4"), ("--lzip", "raw.lz"), ("-Z", "raw.Z")):
                self.bsdtar(out, ["--format", "raw", opt], {"app.env": BODY})
                expect(out, ["<decompressed>"])
        # No free tool writes these: built by hand from the formats' layouts.
        self.put("a.rar", rar4_stored("app.env", BODY))
        expect("a.rar", ["app.env"])
        self.put("a.lzh", lha_lh0("app.env", BODY))
        expect("a.lzh", ["app.env"])
        self.put("a.cab", cab_stored("app.env", BODY))
        expect("a.cab", ["app.env"])
        code, _, err, recs = e2e.scan(self, ["."], cwd=self.d)
        self.assertEqual(code, 1, err)
        got = [(p[2:], c, line, col) for p, c, line, col in located(recs)]
        self.assertEqual(got, sorted(want))
        self.assertEqual(e2e.notices(recs), [], err)
        s = recs[-1]
        # A compressed tar is two steps: the compressed stream, then the tar inside.
        self.assertEqual(s["archives"], len(want) + sum(".tar." in w[0] for w in want))
        self.assertGreaterEqual(s["members"], len(want))
        self.assertGreater(s["expanded_bytes"], 0)

    def test_nested_chain(self):
        """release.tar.gz > app.war > WEB-INF/lib/core.jar > application.properties."""
        jar = zip_bytes([("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"), ("application.properties", BODY)])
        war = zip_bytes([("index.html", b"<html></html>\n"), ("WEB-INF/lib/core.jar", jar)])
        self.put("release.tar.gz", tar_bytes([("README", b"hello\n"), ("app.war", war)], mode="w:gz"))
        code, _, _, recs = e2e.scan(self, ["release.tar.gz"], cwd=self.d)
        self.assertEqual(code, 1)
        [f] = e2e.findings(recs)
        loc = f["location"]
        self.assertEqual(loc["path"], "release.tar.gz")
        self.assertEqual(loc["chain"], ["app.war", "WEB-INF/lib/core.jar", "application.properties"])
        self.assertEqual((loc["line"], loc["column"], loc["offset"], loc["length"]), (2, 9, BODY.index(b"AKIA"), 20))
        s = recs[-1]
        # gzip, tar, war, jar; the decompressed tar and 6 entries.
        self.assertEqual((s["files"], s["archives"], s["members"]), (1, 4, 7))
        self.assertEqual(s["bytes"], os.path.getsize(os.path.join(self.d, "release.tar.gz")))

    def test_compressed_zeros_are_not_an_empty_tar(self):
        """Decompressed content is typed by magpie: 1 KiB of zeros is not an empty tar archive."""
        self.put("image.bin.gz", gzip_named("image.bin", bytes(1024) + BODY))
        self.put("image.bin.xz", lzma.compress(bytes(1024) + BODY))
        _, _, _, recs = e2e.scan(self, ["image.bin.gz", "image.bin.xz"], cwd=self.d)
        self.assertEqual(located(recs), [("image.bin.gz", ("image.bin",), 2, 9),
                                         ("image.bin.xz", ("<decompressed>",), 2, 9)])

    def test_deb_like_ar_with_compressed_tar(self):
        if not BSDTAR:
            self.skipTest("bsdtar (libarchive-tools) not installed")
        data = tar_bytes([("./etc/app/app.conf", BODY)], mode="w:xz")
        self.bsdtar("pkg.deb", ["--format", "ar"], {"debian-binary": b"2.0\n", "data.tar.xz": data})
        _, _, _, recs = e2e.scan(self, ["pkg.deb"], cwd=self.d)
        self.assertEqual(located(recs), [("pkg.deb", ("data.tar.xz", "./etc/app/app.conf"), 2, 9)])

    def test_small_7z_inside_another_archive(self):
        """7-Zip needs random access: a member that fits in the peek gets it from memory."""
        if not BSDTAR:
            self.skipTest("bsdtar (libarchive-tools) not installed")
        self.bsdtar("inner.7z", ["--format", "7zip"], {"app.env": BODY})
        with open(os.path.join(self.d, "inner.7z"), "rb") as f:
            inner = f.read()
        os.unlink(os.path.join(self.d, "inner.7z"))
        self.put("outer.tar", tar_bytes([("inner.7z", inner)]))
        _, _, _, recs = e2e.scan(self, ["outer.tar"], cwd=self.d)
        self.assertEqual(located(recs), [("outer.tar", ("inner.7z", "app.env"), 2, 9)])
        # From standard input too.
        _, _, _, recs = e2e.scan(self, ["-"], stdin=inner)
        self.assertEqual(located(recs), [("-", ("app.env",), 2, 9)])
        # Larger than the peek, inside a tar: not readable from a stream; said so.
        noise = b"".join(b"%08x\n" % ((i * 2654435761) % (1 << 32)) for i in range(30000))
        self.bsdtar("big.7z", ["--format", "7zip", "--options", "7zip:compression=store"],
                    {"noise.txt": noise, "app.env": BODY})
        with open(os.path.join(self.d, "big.7z"), "rb") as f:
            big = f.read()
        self.assertGreater(len(big), 65536)
        self.put("outer.tar", tar_bytes([("big.7z", big)]))
        _, _, _, recs = e2e.scan(self, ["outer.tar"], cwd=self.d)
        self.assertEqual(noted(recs), [("archive-error", "outer.tar", ("big.7z",))])
        self.assertIn("7-Zip needs random access", e2e.notices(recs)[0]["message"])
        # Stored (not compressed): the plain scan still finds the key. Its line
        # depends on where 7-Zip put the member (once seen as 3, not 2), so
        # only the place and the column are checked.
        self.assertEqual([(p, c, col) for p, c, _, col in located(recs)], [("outer.tar", ("big.7z",), 9)])

    def test_archive_inside_a_directory_tree(self):
        self.put("repo/src/main.c", b"int main(void) { return 0; }\n")
        self.put("repo/deploy/.env", b"X=1\nAWS_KEY=%s\n" % AKID.encode())
        self.put("repo/dist/bundle/app.zip", zip_bytes([("cfg/app.properties", BODY)]))
        self.put("repo/dist/logs.tar.bz2", tar_bytes([("logs/app.log", b"token %s\n" % GHP.encode())], mode="w:bz2"))
        code, _, _, recs = e2e.scan(self, ["repo"], cwd=self.d)
        self.assertEqual(code, 1)
        self.assertEqual(located(recs), [("repo/deploy/.env", (), 2, 9),
                                         ("repo/dist/bundle/app.zip", ("cfg/app.properties",), 2, 9),
                                         ("repo/dist/logs.tar.bz2", ("logs/app.log",), 1, 7)])
        self.assertEqual(recs[-1]["files"], 4)

    def test_archive_on_stdin(self):
        data = tar_bytes([("a/b.env", BODY)], mode="w:gz")
        code, _, _, recs = e2e.scan(self, ["-"], stdin=data)
        self.assertEqual(code, 1)
        self.assertEqual(located(recs), [("-", ("a/b.env",), 2, 9)])
        self.assertEqual(recs[-1]["bytes"], len(data))

    def test_member_names_are_data(self):
        """Traversal, absolute and non-UTF-8 names are reported as given; links are never followed."""
        self.put("evil.zip", zip_bytes([("../../etc/passwd", BODY), ("/abs/creds.env", BODY)]))
        b = io.BytesIO()
        with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT, encoding="latin-1") as t:
            ti = tarfile.TarInfo("caf\xe9/../../x.env")
            ti.size = len(BODY)
            t.addfile(ti, io.BytesIO(BODY))
            for kind, name, target in ((tarfile.SYMTYPE, "link.env", "/etc/shadow"),
                                       (tarfile.LNKTYPE, "hard.env", "caf\xe9/../../x.env")):
                ti = tarfile.TarInfo(name)
                ti.type = kind
                ti.linkname = target
                t.addfile(ti)
        self.put("evil.tar", b.getvalue())
        _, out, _, recs = e2e.scan(self, ["evil.zip", "evil.tar"], cwd=self.d)
        self.assertEqual(located(recs), [("evil.tar", ("caf\ufffd/../../x.env",), 2, 9),
                                         ("evil.zip", ("../../etc/passwd",), 2, 9),
                                         ("evil.zip", ("/abs/creds.env",), 2, 9)])
        [raw] = [f["location"] for f in e2e.findings(recs) if f["location"]["path"] == "evil.tar"]
        import base64
        self.assertEqual([base64.b64decode(x) for x in raw["chain_base64"]], [b"caf\xe9/../../x.env"])
        out.decode("utf-8")
        self.assertEqual(sorted(os.listdir(self.d)), ["evil.tar", "evil.zip"])  # nothing written

    # ---- damage ----

    def test_encrypted_member(self):
        src = os.path.join(self.d, "src")
        os.makedirs(src)
        for name in ("locked.env", "open.env"):
            with open(os.path.join(src, name), "wb") as f:
                f.write(BODY if name == "open.env" else b"k=%s\n" % GHP.encode())
        if ZIP:
            subprocess.run([ZIP, "-q", "-P", "pw", "../enc.zip", "locked.env"], cwd=src, check=True)
            subprocess.run([ZIP, "-q", "../enc.zip", "open.env"], cwd=src, check=True)
        elif BSDTAR:
            subprocess.run([BSDTAR, "--format", "zip", "--options", "zip:encryption=zipcrypt", "--passphrase",
                            "pw", "-cf", "../enc.zip", "locked.env", "open.env"], cwd=src, check=True)
        else:
            self.skipTest("neither zip nor bsdtar is installed")
        shutil.rmtree(src)
        code, _, err, recs = e2e.scan(self, ["enc.zip"], cwd=self.d)
        if ZIP:
            self.assertEqual(located(recs), [("enc.zip", ("open.env",), 2, 9)])
        [n] = [n for n in e2e.notices(recs) if n["location"]["chain"] == ["locked.env"]]
        self.assertEqual(n["kind"], "encrypted")
        self.assertIn("Passphrase required", n["message"])
        self.assertIn(b"enc.zip!locked.env: encrypted: ", err)
        self.assertNotIn("ghp_", json.dumps(recs))

    def test_truncated_gzip_keeps_what_was_read(self):
        body = BODY + b"".join(b"filler line %d with some text\n" % i for i in range(40000))
        gz = gzip_named("big.log", body)
        self.put("big.log.gz", gz[:len(gz) // 2])
        code, _, err, recs = e2e.scan(self, ["big.log.gz"], cwd=self.d)
        self.assertEqual(code, 1)
        self.assertEqual(located(recs), [("big.log.gz", ("big.log",), 2, 9)])
        [n] = e2e.notices(recs)
        self.assertEqual((n["kind"], n["location"]["chain"]), ("archive-error", ["big.log"]))
        self.assertIn("truncated gzip input", n["message"])
        self.assertEqual(err.decode().count("\n"), 1)

    def test_truncated_zip_keeps_what_was_read(self):
        body = BODY + b"".join(b"filler line %d with some text\n" % i for i in range(40000))
        z = zip_bytes([("first.env", BODY), ("big.log", body), ("last.env", BODY)])
        self.put("cut.zip", z[:len(z) // 2])
        code, _, _, recs = e2e.scan(self, ["cut.zip"], cwd=self.d)
        self.assertEqual(located(recs), [("cut.zip", ("big.log",), 2, 9), ("cut.zip", ("first.env",), 2, 9)])
        self.assertEqual([(n["kind"], n["location"]["chain"]) for n in e2e.notices(recs)],
                         [("archive-error", ["big.log"])])

    def test_corrupt_central_directory(self):
        z = bytearray(zip_bytes([("a.env", BODY), ("b.env", b"k=%s\n" % GHP.encode())]))
        cd = bytes(z).index(b"PK\x01\x02")
        for i in range(cd, len(z)):
            z[i] ^= 0x5A
        self.put("badcd.zip", bytes(z))
        _, _, _, recs = e2e.scan(self, ["badcd.zip"], cwd=self.d)
        self.assertEqual(located(recs), [("badcd.zip", ("a.env",), 2, 9), ("badcd.zip", ("b.env",), 1, 3)])
        self.assertEqual(noted(recs), [("archive-error", "badcd.zip", ())])

    def test_zip_magic_on_garbage_is_scanned_as_plain(self):
        self.put("fake.zip", b"PK\x03\x04" + b"\xff" * 40 + b"\nk=" + AKID.encode() + b"\n")
        _, _, _, recs = e2e.scan(self, ["fake.zip"], cwd=self.d)
        self.assertEqual(located(recs), [("fake.zip", (), 2, 3)])
        [n] = e2e.notices(recs)
        self.assertEqual(n["kind"], "archive-error")
        self.assertIn("scanned as plain bytes", n["message"])

    # ---- limits ----

    def test_archive_depth(self):
        inner = zip_bytes([("secret.env", BODY)])
        mid = zip_bytes([("inner.zip", inner)])
        self.put("outer.zip", zip_bytes([("mid.zip", mid)]))
        _, _, _, recs = e2e.scan(self, ["outer.zip"], cwd=self.d)
        self.assertEqual(located(recs), [("outer.zip", ("mid.zip", "inner.zip", "secret.env"), 2, 9)])
        _, _, err, recs = e2e.scan(self, ["--limit", "archive-depth=2", "outer.zip"], cwd=self.d)
        self.assertEqual(located(recs), [])
        self.assertEqual(noted(recs), [("limit", "outer.zip", ("mid.zip", "inner.zip"))])
        self.assertIn("archive-depth limit (2)", e2e.notices(recs)[0]["message"])
        self.assertIn(b"outer.zip!mid.zip!inner.zip: limit: archive-depth", err)
        # 0: nothing is opened, every archive is scanned as it is.
        _, _, _, recs = e2e.scan(self, ["--limit", "archive-depth=0", "outer.zip"], cwd=self.d)
        self.assertEqual(noted(recs), [("limit", "outer.zip", ())])
        self.assertEqual(recs[-1]["archives"], 0)

    def test_member_size(self):
        big = BODY + b"x" * 10000 + b"\nk=%s\n" % GHP.encode()
        self.put("m.tar", tar_bytes([("big.log", big), ("small.env", b"k=%s\n" % GHP.encode())]))
        _, _, _, recs = e2e.scan(self, ["--limit", "member-size=4K", "m.tar"], cwd=self.d)
        self.assertEqual(located(recs), [("m.tar", ("big.log",), 2, 9), ("m.tar", ("small.env",), 1, 3)])
        [n] = e2e.notices(recs)
        self.assertEqual((n["kind"], n["location"]["chain"]), ("limit", ["big.log"]))
        self.assertIn("member-size limit (4096 bytes)", n["message"])
        # A member of exactly the limit is whole: no notice.
        _, _, _, recs = e2e.scan(self, ["--limit", "member-size=%d" % len(big), "m.tar"], cwd=self.d)
        self.assertEqual(len(e2e.findings(recs)), 3)
        self.assertEqual(e2e.notices(recs), [])

    def bomb(self, name="bomb.zip"):
        """A first member holding a secret, then 50 MB of zeros (about 50 KB deflated)."""
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("first.env", BODY)
            with z.open("zeros.bin", "w", force_zip64=True) as f:
                chunk = bytes(1 << 20)
                for _ in range(50):
                    f.write(chunk)
            z.writestr("after.env", BODY)
        self.put(name, b.getvalue())
        return len(b.getvalue())

    def test_expanded_size_stops_a_bomb(self):
        self.bomb()
        t0 = time.monotonic()
        _, _, _, recs = e2e.scan(self, ["--limit", "expanded-size=1M", "bomb.zip"], cwd=self.d)
        self.assertLess(time.monotonic() - t0, 30)
        self.assertEqual(located(recs), [("bomb.zip", ("first.env",), 2, 9)])
        [n] = e2e.notices(recs)
        self.assertEqual((n["kind"], n["location"]["chain"]), ("limit", ["zeros.bin"]))
        self.assertIn("expanded-size limit (1048576 bytes)", n["message"])
        self.assertEqual(recs[-1]["expanded_bytes"], 1 << 20)

    def test_compression_ratio_stops_a_bomb_early(self):
        size = self.bomb()
        _, _, _, recs = e2e.scan(self, ["--limit", "compression-ratio=50", "--limit", "ratio-grace=1M",
                                        "bomb.zip"], cwd=self.d)
        self.assertEqual(located(recs), [("bomb.zip", ("first.env",), 2, 9)])
        [n] = e2e.notices(recs)
        self.assertEqual((n["kind"], n["location"]["chain"]), ("limit", ["zeros.bin"]))
        self.assertIn("compression-ratio limit (50:1 past 1048576 bytes)", n["message"])
        self.assertLess(recs[-1]["expanded_bytes"], 50 * size + (1 << 20) + (1 << 17))
        # Within the default limits the whole bomb (50 MB) is scanned.
        _, _, _, recs = e2e.scan(self, ["bomb.zip"], cwd=self.d)
        self.assertEqual(len(e2e.findings(recs)), 2)
        self.assertEqual(e2e.notices(recs), [])

    def test_archive_entries(self):
        members = [("m%02d.env" % i, b"k=%s\n" % (AKID[:-2] + "Q" + "ABCDEFGHIJKL"[i]).encode()) for i in range(10)]
        self.put("many.zip", zip_bytes(members))
        self.put("next.env", b"k=%s\n" % AKID.encode())
        _, _, _, recs = e2e.scan(self, ["--limit", "archive-entries=3", "."], cwd=self.d)
        self.assertEqual(sorted(f["location"]["chain"][0] if f["location"]["chain"] else f["location"]["path"]
                                for f in e2e.findings(recs)), ["./next.env", "m00.env", "m01.env", "m02.env"])
        self.assertEqual(noted(recs), [("limit", "./many.zip", ())])
        self.assertIn("archive-entries limit (3)", e2e.notices(recs)[0]["message"])
        self.assertEqual(recs[-1]["members"], 3)

    def test_input_time_stops_a_slow_input(self):
        """A compressed stream that trickles in (about 100 KB/s, 10 s in all): stopped after
        input-time, findings kept."""
        filler = b"".join(b"%08x\n" % ((i * 2654435761) % (1 << 32)) for i in range(200000))
        self.put("slow.gz", gzip.compress(BODY + filler, mtime=0))
        feed = ("import sys, time\n"
                "data = open(sys.argv[1], 'rb').read()\n"
                "try:\n"
                "    for i in range(0, len(data), 2048):\n"
                "        sys.stdout.buffer.write(data[i:i + 2048]); sys.stdout.flush(); time.sleep(0.02)\n"
                "except BrokenPipeError:\n"
                "    pass\n")
        results = []
        for j in (1, 4):
            feeder = subprocess.Popen([sys.executable, "-c", feed, os.path.join(self.d, "slow.gz")],
                                      stdout=subprocess.PIPE)
            t0 = time.monotonic()
            try:
                p = subprocess.run([e2e.MAGPIE, "scan", "-j%d" % j, "--format", "jsonl", "--limit", "input-time=2",
                                    "-"], stdin=feeder.stdout, capture_output=True, timeout=e2e.TIMEOUT)
            finally:
                feeder.stdout.close()
                feeder.kill()
                feeder.wait()
            self.assertLess(time.monotonic() - t0, 20)
            recs = e2e.records(p.stdout)
            self.assertEqual(located(recs), [("-", ("<decompressed>",), 2, 9)])
            [n] = e2e.notices(recs)
            self.assertEqual(n["kind"], "limit", n)
            self.assertIn("input-time limit (2 s)", n["message"])
            # How far the input got depends on timing: compare what does not.
            # That includes which level's read met the deadline first: the
            # gzip stream's (the notice names the input) or the member's
            # (it names <decompressed>); a loaded machine has given both.
            [(kind, path, chain)] = noted(recs)
            self.assertIn(chain, ((), ("<decompressed>",)))
            results.append((located(recs), kind, path))
        self.assertEqual(results[0], results[1])

    def test_decoder_memory_refuses_a_huge_declared_dictionary(self):
        """An xz stream whose block header declares a 3 GiB dictionary (CRC fixed, so only the
        size is hostile) is not handed to the decoder; a normal one in the same run is."""
        import zlib
        data = bytearray(lzma.compress(BODY, preset=0))
        hsize = (data[12] + 1) * 4
        self.assertEqual(data[14:16], b"\x21\x01", "first filter is LZMA2 with one property byte")
        data[16] = 39  # 3 << 30
        data[12 + hsize - 4:12 + hsize] = zlib.crc32(bytes(data[12:12 + hsize - 4])).to_bytes(4, "little")
        self.put("huge.xz", bytes(data))
        self.put("ok.xz", lzma.compress(BODY, preset=0))
        code, _, err, recs = e2e.scan(self, ["."], cwd=self.d)
        # The refused stream is scanned as plain bytes: this small input was stored
        # uncompressed inside the xz container, so its key is seen there too.
        self.assertEqual(located(recs), [("./huge.xz", (), 2, 9), ("./ok.xz", ("<decompressed>",), 2, 9)])
        self.assertEqual(noted(recs), [("limit", "./huge.xz", ())])
        self.assertIn("decoder-memory limit (268435456 bytes): the xz stream declares a 3221225472-byte",
                      e2e.notices(recs)[0]["message"])
        self.assertIn(b"decoder-memory", err)

    def test_every_limit_is_in_the_manual(self):
        with open(os.path.join(e2e.SRCDIR, "src", "caps.c")) as f:
            names = re.findall(r'\{"([a-z0-9-]+)", ', f.read())
        with open(os.path.join(e2e.SRCDIR, "doc", "magpie.1")) as f:
            man = f.read()
        self.assertIn("archive-depth", names)
        for n in names:
            self.assertTrue(".B " + n.replace("-", "\\-") + "\n" in man, n)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed - len(result.skipped), failed))
    sys.exit(1 if failed else 0)
