"""Is this image one of ours? ``manage.py gan_verify FILE [FILE ...] [--json] [--no-db]``

Reads the invisible watermark (also in JPEG re-encodes and, when the original size is one of
our variants' sizes, in resized copies), our XMP fields and the C2PA manifest (validated
against ``C2PA_TRUST_ANCHORS``), and looks the job / variant / source up in the database.

Exit status: 0 every file is ours and no manifest failed validation; 1 some file carries no
wagtail-gan mark; 2 some file is unreadable or has a C2PA manifest that does not validate.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wagtail_gan.provenance import inspect_file


class Command(BaseCommand):
    help = "Check image files for a wagtail-gan watermark, metadata and C2PA credentials."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--json", action="store_true", help="Print JSON reports")
        parser.add_argument("--no-db", action="store_true",
                            help="Do not look payloads up in the database")

    def handle(self, *args, files=(), json=False, no_db=False, **options):
        reports = []
        status = 0
        for name in files:
            path = Path(name)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"{name}: {exc.strerror}") from None
            report = inspect_file(data, name=str(path), use_database=not no_db)
            reports.append(report)
            if report["errors"] or (report["c2pa"].get("state") == "Invalid"):
                status = max(status, 2)
            elif not report["ours"]:
                status = max(status, 1)
        if json:
            self.stdout.write(_dumps(reports if len(reports) > 1 else reports[0]))
        else:
            for report in reports:
                self._print(report)
        if status:
            raise SystemExit(status)

    def _print(self, r):
        w = self.stdout.write
        w(self.style.MIGRATE_HEADING(r["name"]))
        if r.get("format"):
            w(f"  image:      {r['format']} {r['width']}x{r['height']}, {r['size']} bytes")
        w(f"  verdict:    {r['verdict']}")
        wm = r.get("watermark") or {}
        if wm.get("found"):
            size = "x".join(str(n) for n in wm["decoded_at"])
            at = f" (after resizing to {size})" if wm.get("resized") else ""
            what = "pool slot" if wm["kind"] == "rendition" else "output"
            w(f"  watermark:  {wm['kind']} {wm['ident']} {what} {wm['index']}, "
              f"confidence {wm['confidence']}{at}")
        else:
            w("  watermark:  none found")
        for key in ("Iptc4xmpExt:DigitalSourceType", "Iptc4xmpExt:AISystemUsed",
                    "Iptc4xmpExt:AISystemVersionUsed", "wgan:Job", "wgan:Operation", "dc:source"):
            if r["xmp"].get(key):
                w(f"  {key}: {r['xmp'][key]}")
        c2pa = r.get("c2pa") or {}
        w(f"  C2PA:       {c2pa.get('summary')}")
        for action in c2pa.get("actions") or []:
            agent = action.get("softwareAgent") or {}
            agent_text = agent.get("name", "") if isinstance(agent, dict) else str(agent)
            w(f"    action {action.get('action')} {agent_text} {(agent or {}).get('version', '')}".rstrip())
        for ing in c2pa.get("ingredients") or []:
            w(f"    ingredient {ing.get('relationship')}: {ing.get('title')}")
        match = r.get("match") or {}
        if match.get("variant"):
            v = match["variant"]
            w(f"  variant:    {v['id']} = image {v['image_id']} “{v['image_title']}”")
            w(f"  rights:     {v['rights']['statement']}")
        elif match.get("job"):
            w(f"  job:        {match['job']['id']} ({match['job']['operation']}, {match['job']['status']})")
        if match.get("note") and match["note"] not in r["verdict"]:
            w(f"  note:       {match['note']}")
        for err in r["errors"]:
            w(self.style.ERROR(f"  error:      {err}"))


def _dumps(obj) -> str:
    return json.dumps(obj, indent=2, default=str, ensure_ascii=False)
