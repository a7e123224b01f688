#!/usr/bin/env python3
"""End-to-end tests for container images (docker save tarballs, OCI layouts).

The images are built here, at test time, without a daemon: layer tars with
Python's tarfile, the manifest, index and config with json, digests with
hashlib. One case converts a test-built docker-save tarball into an OCI
layout with skopeo (Debian's package; it works offline on local files) and
checks that both scans agree; it is skipped when skopeo is not installed.

Every scan runs with -j1 and -j4; for images the two outputs must be the
same bytes (records of an image are written in a fixed order), apart from
the summary. Secret-shaped values are assembled at run time (e2e.py).
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (shared helpers: run, scan, findings, notices, TreeCase)

AKID = e2e.AKID
GHP = e2e.GHP
SKOPEO = shutil.which("skopeo")


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def layer_tar(entries):
    """entries: (name, bytes) for a file, (name, None) for a directory."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            if data is None:
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


def gz(data):
    b = io.BytesIO()
    with gzip.GzipFile(fileobj=b, mode="wb", mtime=0) as g:
        g.write(data)
    return b.getvalue()


def tar_of(members):
    """A tarball of (name, bytes) members, in order."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


def zip_of(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return b.getvalue()


class Image:
    """An image as layers (uncompressed tars) and a config; written as a
    docker save tarball or an OCI layout."""

    def __init__(self, layers, env=(), cmd=None, labels=None, history=None, tags=("app:1.0",)):
        self.layers = layers
        self.tags = list(tags)
        cfg = {"Env": list(env)}
        if cmd is not None:
            cfg["Cmd"] = cmd
        if labels:
            cfg["Labels"] = labels
        if history is None:
            history = [{"created_by": "/bin/sh -c #(nop) layer %d" % (i + 1)} for i in range(len(layers))]
        self.config = {"architecture": "amd64", "os": "linux", "config": cfg,
                       "rootfs": {"type": "layers", "diff_ids": [sha(l) for l in layers]},
                       "history": history}

    def config_bytes(self):
        return json.dumps(self.config, sort_keys=True).encode()

    def docker_members(self, legacy=True, manifest=None):
        cfg = self.config_bytes()
        members, names = [], []
        for l in self.layers:
            if legacy:
                name = hashlib.sha256(b"id" + l).hexdigest() + "/layer.tar"
                members.append((name[:64] + "/VERSION", b"1.0"))
            else:
                name = "blobs/sha256/" + hashlib.sha256(l).hexdigest()
            members.append((name, l))
            names.append(name)
        cname = (hashlib.sha256(cfg).hexdigest() + ".json") if legacy else \
            "blobs/sha256/" + hashlib.sha256(cfg).hexdigest()
        members.append((cname, cfg))
        if manifest is None:
            manifest = json.dumps([{"Config": cname, "RepoTags": self.tags, "Layers": names}]).encode()
        members.append(("manifest.json", manifest))
        return members

    def docker_save(self, path, gzip_whole=False, legacy=True, manifest=None, members=None):
        data = tar_of(members if members is not None else self.docker_members(legacy, manifest))
        with open(path, "wb") as f:
            f.write(gz(data) if gzip_whole else data)
        return path

    def oci_blobs(self, compress=True, media_type=None):
        """(index.json bytes, {digest: bytes}) of an OCI layout."""
        blobs = {}
        descs = []
        for l in self.layers:
            if compress == "zstd":
                b = subprocess.run(["zstd", "-q", "-c"], input=l, capture_output=True, check=True).stdout
                suffix = "+zstd"
            else:
                b = gz(l) if compress else l
                suffix = "+gzip" if compress else ""
            blobs[sha(b)] = b
            descs.append({"mediaType": media_type or ("application/vnd.oci.image.layer.v1.tar" + suffix),
                          "digest": sha(b), "size": len(b)})
        cfg = self.config_bytes()
        blobs[sha(cfg)] = cfg
        man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                     "digest": sha(cfg), "size": len(cfg)},
                          "layers": descs}).encode()
        blobs[sha(man)] = man
        index = json.dumps({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(man),
             "size": len(man), "annotations": {"org.opencontainers.image.ref.name": self.tags[0]}}]}).encode()
        return index, blobs

    def oci_dir(self, path, compress=True, media_type=None):
        index, blobs = self.oci_blobs(compress, media_type)
        write_oci(path, index, blobs)
        return path

    def oci_tar(self, path, compress=True):
        index, blobs = self.oci_blobs(compress)
        members = [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index)]
        members += [("blobs/sha256/" + d[7:], b) for d, b in sorted(blobs.items())]
        with open(path, "wb") as f:
            f.write(tar_of(members))
        return path


def write_oci(path, index, blobs):
    os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(path, "index.json"), "wb") as f:
        f.write(index)
    for d, b in blobs.items():
        with open(os.path.join(path, "blobs", "sha256", d[7:]), "wb") as f:
            f.write(b)


def env_line(value):
    return ("export AWS_ACCESS_KEY_ID=%s\n" % value).encode()


def standard_image():
    """Layer 1 keeps a key; layer 2 adds keys that layer 3 deletes (a
    whiteout), overwrites (same path) and hides (opaque directory), and one
    in a zip that stays; the config has one in Env and one in a RUN line."""
    l1 = layer_tar([("etc", None), ("etc/base.env", env_line(AKID)), ("etc/clean.txt", b"hello\n")])
    l2 = layer_tar([("app", None),
                    ("app/secret.env", env_line(AKID)),
                    ("app/over.env", ("token = %s\n" % GHP).encode()),
                    ("opaque", None), ("opaque/dir", None),
                    ("opaque/dir/keys.env", env_line(AKID)),
                    ("data", None),
                    ("data/bundle.zip", zip_of([("conf/app.env", env_line(AKID))]))])
    l3 = layer_tar([("app", None), ("app/.wh.secret.env", b""),
                    ("app/over.env", b"token = (removed)\n"),
                    ("opaque", None), ("opaque/.wh..wh..opq", b""),
                    ("opaque/new.txt", b"nothing\n")])
    history = [{"created_by": "/bin/sh -c #(nop) ADD file:base in /"},
               {"created_by": "/bin/sh -c #(nop)  ENV LANG=C", "empty_layer": True},
               {"created_by": "RUN /bin/sh -c curl -H 'Authorization: token %s' https://example.invalid/x" % GHP},
               {"created_by": "RUN /bin/sh -c rm /app/secret.env"}]
    return Image([l1, l2, l3], env=["PATH=/usr/bin", "AWS_ACCESS_KEY_ID=%s" % AKID],
                 cmd=["/app/run", "--verbose"], labels={"maintainer": "ops@example.invalid"}, history=history)


def summary_of(f):
    loc = f["location"]
    layer = loc.get("layer", {})
    return (layer.get("index", 0), tuple(loc["chain"][1:]) if layer else tuple(loc["chain"]),
            f["rule"]["id"], layer.get("status"), layer.get("status_layer"))


EXPECTED = sorted([
    (0, ("config.Env[1]",), "aws.access-key-id", None, None),
    (0, ("config.history[2].created_by",), "github.pat-classic", None, None),
    (1, ("etc/base.env",), "aws.access-key-id", "present", None),
    (2, ("app/over.env",), "github.pat-classic", "overwritten", 3),
    (2, ("app/secret.env",), "aws.access-key-id", "deleted", 3),
    (2, ("data/bundle.zip", "conf/app.env"), "aws.access-key-id", "present", None),
    (2, ("opaque/dir/keys.env",), "aws.access-key-id", "deleted", 3),
])


def image_scan(tc, args, cwd=None):
    """scan with -j1 and -j4 (e2e.scan), and the same bytes for both apart
    from the summary line."""
    outs = []
    for j in (1, 4):
        code, out, err = e2e.run(["scan", "-j%d" % j, "--format", "jsonl"] + args, cwd=cwd)
        outs.append(out.splitlines()[:-1])
    tc.assertEqual(outs[0], outs[1], "image records differ between -j1 and -j4")
    return e2e.scan(tc, args, cwd=cwd)


class Images(e2e.TreeCase):

    def check_standard(self, path, fmt):
        code, out, err, recs = image_scan(self, [path], cwd=self.d)
        self.assertEqual(code, 1, err)
        got = sorted(summary_of(f) for f in e2e.findings(recs))
        self.assertEqual(got, EXPECTED, "%s: %s" % (fmt, err.decode()))
        self.assertEqual(e2e.notices(recs), [], err.decode())
        for f in e2e.findings(recs):
            loc = f["location"]
            self.assertEqual(loc["path"], path)
            self.assertEqual(loc["image"]["platform"], "linux/amd64")
            self.assertIn("app:1.0", loc["image"]["repo_tags"])
            self.assertTrue(loc["image"]["config_digest"].startswith("sha256:"))
            if "layer" in loc:
                layer = loc["layer"]
                self.assertTrue(loc["chain"][0].startswith("layer %d sha256:" % layer["index"]))
                self.assertTrue(layer["digest"].startswith("sha256:"))
                self.assertTrue(layer["diff_id"].startswith("sha256:"))
                if layer["index"] == 2:
                    self.assertIn("curl", layer["created_by"])
        # The whiteouts and the layer tars themselves are never content.
        self.assertEqual(recs[-1]["files"], 1)
        return recs

    def test_docker_save_legacy(self):
        standard_image().docker_save(os.path.join(self.d, "image.tar"))
        self.check_standard("image.tar", "docker-save")

    def test_docker_save_blobs(self):
        standard_image().docker_save(os.path.join(self.d, "image.tar"), legacy=False)
        self.check_standard("image.tar", "docker-save (blobs)")

    def test_docker_save_gzip(self):
        standard_image().docker_save(os.path.join(self.d, "image.tar.gz"), gzip_whole=True)
        self.check_standard("image.tar.gz", "docker-save, gzip")

    def test_oci_dir(self):
        standard_image().oci_dir(os.path.join(self.d, "layout"))
        recs = self.check_standard("layout", "OCI directory")
        f = e2e.findings(recs)[0]
        self.assertTrue(f["location"]["image"]["manifest_digest"].startswith("sha256:"))

    def test_oci_dir_uncompressed(self):
        standard_image().oci_dir(os.path.join(self.d, "layout"), compress=False)
        self.check_standard("layout", "OCI directory, tar layers")

    @unittest.skipUnless(shutil.which("zstd"), "zstd (Debian package zstd) not installed")
    def test_oci_dir_zstd_layers(self):
        standard_image().oci_dir(os.path.join(self.d, "layout"), compress="zstd")
        recs = self.check_standard("layout", "OCI directory, tar+zstd layers")
        self.assertTrue(all(f["location"]["layer"]["media_type"].endswith("tar+zstd")
                            for f in e2e.findings(recs) if "layer" in f["location"]))

    def test_oci_tar(self):
        standard_image().oci_tar(os.path.join(self.d, "oci.tar"))
        self.check_standard("oci.tar", "OCI tar")

    def test_sarif_and_text_carry_the_layer_status_and_merge_keeps_it(self):
        """SARIF results hold location.image and location.layer (with the
        status) in their properties, the text format says what hid a
        finding, and magpie merge rebuilds both from the JSON output."""
        standard_image().oci_dir(os.path.join(self.d, "layout"))

        def run(fmt, j=2):
            return e2e.run(["scan", "-j%d" % j, "--format", fmt, "layout"], cwd=self.d)

        code, sarif, err = run("sarif")
        self.assertEqual(code, 1, err)
        self.assertEqual(run("sarif", 1)[1], sarif, "SARIF is the same bytes for any -j")
        results = json.loads(sarif)["runs"][0]["results"]
        statuses = sorted((r["properties"]["layer"]["status"], r["properties"]["layer"].get("status_layer", 0))
                          for r in results if "layer" in r["properties"])
        jsonl = e2e.records(run("jsonl")[1])
        want = sorted((f["location"]["layer"]["status"], f["location"]["layer"].get("status_layer", 0))
                      for f in e2e.findings(jsonl) if "layer" in f["location"])
        self.assertEqual(statuses, want)
        self.assertIn("deleted", [s for s, _ in statuses])
        self.assertIn("overwritten", [s for s, _ in statuses])
        self.assertTrue(all("image" in r["properties"] for r in results))
        code, text, _ = run("text", 1)
        hidden = [l for l in text.decode().splitlines() if "; still in layer" in l]
        self.assertEqual(len(hidden), len([s for s in statuses if s[1] > 0]))
        self.assertTrue(any(l.strip().startswith("deleted in layer 3") for l in hidden), hidden)
        # A merge of the one output gives the same SARIF and text.
        out = os.path.join(self.d, "scan.jsonl")
        with open(out, "wb") as f:
            f.write(run("jsonl")[1])
        code, msarif, err = e2e.run(["merge", "--format", "sarif", out], cwd=self.d)
        self.assertEqual((code, msarif), (1, sarif), err)
        code, mtext, err = e2e.run(["merge", "--format", "text", out], cwd=self.d)
        self.assertEqual(mtext.decode().splitlines()[:-1], text.decode().splitlines()[:-1])

    # ---- options ----

    def test_final_only(self):
        standard_image().docker_save(os.path.join(self.d, "image.tar"))
        code, _, err, recs = image_scan(self, ["--final-only", "image.tar"], cwd=self.d)
        got = sorted(summary_of(f) for f in e2e.findings(recs))
        self.assertEqual(got, [e for e in EXPECTED if e[3] in (None, "present")])
        self.assertEqual(recs[-1]["findings"], len(got))

    def test_no_image_is_a_plain_tar(self):
        standard_image().docker_save(os.path.join(self.d, "image.tar"))
        code, _, err, recs = e2e.scan(self, ["--no-image", "image.tar"], cwd=self.d)
        fs = e2e.findings(recs)
        self.assertTrue(fs)
        for f in fs:
            self.assertNotIn("image", f["location"])
        # the whiteout is not applied: every key of every layer, and the config file itself
        self.assertEqual(len(fs), 7)

    def test_image_forced_on_a_plain_tar(self):
        with open(os.path.join(self.d, "plain.tar"), "wb") as f:
            f.write(tar_of([("x/a.env", env_line(AKID))]))
        code, _, err, recs = e2e.scan(self, ["plain.tar"], cwd=self.d)
        self.assertEqual([n["kind"] for n in e2e.notices(recs)], [])
        self.assertEqual(len(e2e.findings(recs)), 1)
        code, _, err, recs = e2e.scan(self, ["--image", "plain.tar"], cwd=self.d)
        self.assertEqual([n["kind"] for n in e2e.notices(recs)], ["image-error"])
        self.assertIn("not a container image", e2e.notices(recs)[0]["message"])
        self.assertEqual(len(e2e.findings(recs)), 1)  # still scanned, as a tar

    def multi_platform(self):
        """An OCI layout whose index lists an amd64 and an arm64/v8 image."""
        amd = Image([layer_tar([("a.env", env_line(AKID))])])
        arm = Image([layer_tar([("b.env", env_line(AKID))])])
        arm.config["architecture"] = "arm64"
        blobs, manifests = {}, []
        for im, plat in ((amd, {"os": "linux", "architecture": "amd64"}),
                         (arm, {"os": "linux", "architecture": "arm64", "variant": "v8"})):
            idx, b = im.oci_blobs()
            blobs.update(b)
            d = json.loads(idx)["manifests"][0]
            d["platform"] = plat
            manifests.append(d)
        nested = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                             "manifests": manifests}).encode()
        blobs[sha(nested)] = nested
        index = json.dumps({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha(nested),
             "size": len(nested)}]}).encode()
        write_oci(os.path.join(self.d, "multi"), index, blobs)

    def test_platforms(self):
        self.multi_platform()
        code, _, err, recs = image_scan(self, ["multi"], cwd=self.d)
        got = sorted((f["location"]["image"]["platform"], f["location"]["chain"][1])
                     for f in e2e.findings(recs))
        self.assertEqual(got, [("linux/amd64", "a.env"), ("linux/arm64/v8", "b.env")])
        for plat in ("linux/arm64", "linux/arm64/v8"):
            code, _, err, recs = image_scan(self, ["--platform", plat, "multi"], cwd=self.d)
            self.assertEqual([f["location"]["chain"][1] for f in e2e.findings(recs)], ["b.env"])
        code, _, err, recs = image_scan(self, ["--platform", "linux/s390x", "multi"], cwd=self.d)
        self.assertEqual(e2e.findings(recs), [])
        self.assertIn("no image for platform linux/s390x", e2e.notices(recs)[0]["message"])
        code, _, err = e2e.run(["scan", "--platform", "linux", "multi"], cwd=self.d)
        self.assertEqual(code, 2)

    def test_report_and_shard_take_an_image_as_one_object(self):
        standard_image().docker_save(os.path.join(self.d, "image.tar"))
        code, _, err, recs = image_scan(self, ["--report", "objects", "image.tar"], cwd=self.d)
        objs = [r for r in recs if r["type"] == "object"]
        self.assertEqual([o["location"]["path"] for o in objs], ["image.tar"], err)
        self.assertEqual(len(e2e.findings(recs)), len(EXPECTED))
        # the shards of a run take the image once between them, whole
        got = []
        for k in range(3):
            code, _, err, recs = image_scan(self, ["--shard", "%d/3" % k, "image.tar"], cwd=self.d)
            got.append(len(e2e.findings(recs)))
        self.assertEqual(sorted(got), [0, 0, len(EXPECTED)])

    # ---- bad input: a notice, and the rest of the image is scanned ----

    def notices_of(self, path, image=True):
        """image=False: no image could be made and the input is scanned as
        usual, whose records (unlike an image's) have no fixed order."""
        code, _, err, recs = (image_scan if image else e2e.scan)(self, [path], cwd=self.d)
        ns = [(n["kind"], n["location"]["chain"], n["message"]) for n in e2e.notices(recs)]
        for n in e2e.notices(recs):
            self.assertIn(n["location"]["path"].encode(), err)
        return ns, sorted(summary_of(f) for f in e2e.findings(recs))

    def test_missing_blob(self):
        im = standard_image()
        im.oci_dir(os.path.join(self.d, "layout"))
        idx, blobs = im.oci_blobs()
        man = [b for b in blobs.values() if b.startswith(b'{"schemaVersion"')][0]
        digest = json.loads(man)["layers"][1]["digest"]
        os.remove(os.path.join(self.d, "layout", "blobs", "sha256", digest[7:]))
        ns, got = self.notices_of("layout")
        self.assertEqual(len(ns), 1)
        self.assertEqual(ns[0][0], "image-error")
        self.assertTrue(ns[0][1][0].startswith("layer 2 "))
        self.assertIn("not in the image", ns[0][2])
        # layer 1's key: a missing layer above it might have deleted it
        self.assertIn((1, ("etc/base.env",), "aws.access-key-id", "unknown", None), got)
        self.assertIn((0, ("config.Env[1]",), "aws.access-key-id", None, None), got)

    def test_manifest_names_absent_layer(self):
        im = standard_image()
        m = im.docker_members()
        man = json.loads(m[-1][1])
        man[0]["Layers"][2] = "0" * 64 + "/layer.tar"
        m[-1] = ("manifest.json", json.dumps(man).encode())
        im.docker_save(os.path.join(self.d, "image.tar"), members=m)
        ns, got = self.notices_of("image.tar")
        self.assertEqual([(k, c[0][:7]) for k, c, _ in ns], [("image-error", "layer 3")])
        self.assertIn("0" * 64 + "/layer.tar", ns[0][2])
        self.assertIn((2, ("app/secret.env",), "aws.access-key-id", "unknown", None), got)

    def test_bad_json(self):
        im = standard_image()
        m = [(n, b'{"architecture": "amd64", "os"' if d == im.config_bytes() else d)
             for n, d in im.docker_members()]
        im.docker_save(os.path.join(self.d, "badcfg.tar"), members=m)
        ns, got = self.notices_of("badcfg.tar")
        self.assertEqual(len(ns), 1)
        self.assertIn("JSON does not parse", ns[0][2])
        # without the config: no Env finding, the layers are scanned, statuses hold
        self.assertEqual(got, [e for e in EXPECTED if e[0] > 0])
        im.docker_save(os.path.join(self.d, "badman.tar"), manifest=b'[{"Config": ')
        ns, got = self.notices_of("badman.tar", image=False)
        self.assertEqual([(k, c) for k, c, _ in ns], [("image-error", [])])
        self.assertIn("manifest.json: JSON does not parse", ns[0][2])
        self.assertGreaterEqual(len(got), 6)  # scanned as a plain tar

    def test_unknown_media_type(self):
        standard_image().oci_dir(os.path.join(self.d, "layout"), media_type="application/vnd.example.layer")
        ns, got = self.notices_of("layout")
        self.assertEqual([(k, c[0][:7]) for k, c, _ in ns],
                         [("image-error", "layer 1"), ("image-error", "layer 2"), ("image-error", "layer 3")])
        self.assertIn("unknown layer media type 'application/vnd.example.layer'", ns[0][2])
        self.assertEqual(got, EXPECTED)  # scanned by their content all the same

    def test_truncated_layer(self):
        im = standard_image()
        m = im.docker_members()
        m = [m[-1], m[-2]] + m[:-2]  # manifest and config first, the last layer at the end
        data = tar_of(m)
        with open(os.path.join(self.d, "cut.tar"), "wb") as f:
            f.write(data[:len(data) - 1024 - 3000])
        ns, got = self.notices_of("cut.tar")
        self.assertIn(("image-error", "layer 3"), [(k, c[0][:7]) for k, c, _ in ns])
        self.assertTrue(any("truncated layer" in msg for _, _, msg in ns), ns)
        self.assertIn((2, ("app/secret.env",), "aws.access-key-id", "deleted", 3), got)
        # an OCI blob cut short
        im.oci_dir(os.path.join(self.d, "layout"), compress=False)
        idx, blobs = im.oci_blobs(compress=False)
        p = os.path.join(self.d, "layout", "blobs", "sha256", sha(im.layers[2])[7:])
        with open(p, "r+b") as f:
            f.truncate(len(im.layers[2]) - 3000)
        ns, got = self.notices_of("layout")
        self.assertTrue(any("truncated layer" in msg for _, _, msg in ns), ns)

    def test_digest_mismatch(self):
        im = standard_image()
        im.oci_dir(os.path.join(self.d, "layout"), compress=False)
        p = os.path.join(self.d, "layout", "blobs", "sha256", sha(im.layers[0])[7:])
        with open(p, "rb") as f:
            b = bytearray(f.read())
        i = b.index(b"hello")
        b[i] = ord("j")
        with open(p, "wb") as f:
            f.write(b)
        ns, got = self.notices_of("layout")
        self.assertEqual(len(ns), 1)
        self.assertIn("digest mismatch", ns[0][2])
        self.assertEqual(got, EXPECTED)  # the content is still scanned

    # ---- real tooling ----

    @unittest.skipUnless(SKOPEO, "skopeo is not installed")
    def test_skopeo_oci_layout_matches_docker_save(self):
        """skopeo turns a test-built docker-save tarball into an OCI layout
        (gzip layers, new digests); both scans give the same findings."""
        standard_image().docker_save(os.path.join(self.d, "image.tar"))
        p = subprocess.run([SKOPEO, "--insecure-policy", "copy", "-q", "docker-archive:image.tar",
                            "oci:layout:app"], cwd=self.d, capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)

        def key(f):
            return summary_of(f) + (f["secret"]["fingerprint"], f["location"]["line"])
        _, _, _, a = image_scan(self, ["image.tar"], cwd=self.d)
        _, _, err, b = image_scan(self, ["layout"], cwd=self.d)
        self.assertEqual(e2e.notices(b), [], err)
        self.assertEqual(sorted(map(key, e2e.findings(a))), sorted(map(key, e2e.findings(b))))
        fb = [f for f in e2e.findings(b) if "layer" in f["location"]]
        self.assertTrue(all(f["location"]["layer"]["media_type"].endswith("tar+gzip") for f in fb))
        # and back: skopeo's own docker-archive layout (<digest>.tar layers at the top)
        p = subprocess.run([SKOPEO, "--insecure-policy", "copy", "-q", "oci:layout:app",
                            "docker-archive:back.tar:app:2"], cwd=self.d, capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        _, _, err, c = image_scan(self, ["back.tar"], cwd=self.d)
        self.assertEqual(e2e.notices(c), [], err)
        self.assertEqual(sorted(map(key, e2e.findings(a))), sorted(map(key, e2e.findings(c))))
        self.assertIn("docker.io/library/app:2", e2e.findings(c)[0]["location"]["image"]["repo_tags"])


if __name__ == "__main__":
    unittest.main()
