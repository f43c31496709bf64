"""``manage.py gan_video``: frame interpolation and clips from stills, in this process.

    gan_video interpolate --factor 2 in.mp4 out.mp4          # 2x the frame rate
    gan_video interpolate --factor 4 --slowmo in.mp4 out.mp4  # 4x slower, audio stretched
    gan_video stills a.jpg b.jpg [c.jpg ...] out.mp4 --seconds 3 --fps 24 --hold 0.5

``--engine model`` (default) uses the registry's interpolation model (RIFE 4.6; install it
with ``gan_models install rife_v4_6``); ``--engine blend`` is a cross-fade that needs no
model; ``--engine auto`` picks the model when installed, else blend. Progress (frames done /
total) goes to stderr. ``--to-library`` also adds the result to the wagtailmedia library
(with its provenance as a ``VideoJob`` row). Errors are one line, exit status 1.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone
from wagtail.models import Collection

from wagtail_gan.management.base import OneLineErrorCommand
from wagtail_gan.management.commands.gan_run import open_image
from wagtail_gan.models import VideoJob
from wagtail_gan.models_zoo.errors import EngineError
from wagtail_gan.video import library, provenance


class Command(OneLineErrorCommand):
    help = "Interpolate a video (2x/4x frame rate or slow motion) or make a clip from stills."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        inter = sub.add_parser("interpolate", help="2x/4x frame rate or slow motion")
        inter.add_argument("input")
        inter.add_argument("output")
        inter.add_argument("--factor", type=int, default=2, choices=(2, 4))
        inter.add_argument("--slowmo", action="store_true",
                           help="keep the frame rate: the video (and audio) get FACTOR x longer")
        stills = sub.add_parser("stills", help="a clip moving through 2+ images")
        stills.add_argument("paths", nargs="+", metavar="IMAGE ... OUTPUT")
        stills.add_argument("--seconds", type=float, default=3.0)
        stills.add_argument("--fps", type=int, default=24)
        stills.add_argument("--hold", type=float, default=0.5,
                            help="seconds each still is shown as it is")
        for p in (inter, stills):
            p.add_argument("--engine", default="model", choices=("model", "blend", "auto"))
            p.add_argument("--quiet", action="store_true", help="no progress on stderr")
            p.add_argument("--to-library", action="store_true",
                           help="also add the result to the media library")
            p.add_argument("--title", default="", help="library title (--to-library)")
            p.add_argument("--once", action="store_true",
                           help="with --to-library: do nothing if a video with this title exists")

    def handle(self, *args, **opts):
        try:
            from wagtail_gan.video import avio, engines, limits, pipeline
        except ImportError as exc:
            raise CommandError(f"video needs PyAV and numpy ({exc}): "
                               "pip install 'wagtail-gan[video]'") from None
        self.quiet = opts["quiet"]
        title = opts["title"]
        if opts["to_library"] and opts["once"] and title and self._library_has(title):
            self.stdout.write(f"a video titled “{title}” is already in the library; skipped")
            return
        engine = self._engine(opts["engine"], engines, EngineError)
        if opts["action"] == "interpolate":
            src, out = Path(opts["input"]), Path(opts["output"])
            if not src.is_file():
                raise CommandError(f"{src}: no such file")
            self._check_output(out)
            mode = "slowmo" if opts["slowmo"] else "fps"
            facts = self._facts("interpolate", {"factor": opts["factor"], "mode": mode},
                                engine, [{"type": "file", "title": src.name}])
            run = lambda tmp: pipeline.interpolate_video(  # noqa: E731
                src, tmp, factor=opts["factor"], mode=mode, engine=engine,
                progress=self._progress, provenance=facts)
        else:
            *images, output = opts["paths"]
            if len(images) < 2:
                raise CommandError("give at least two images and the output file")
            out = Path(output)
            self._check_output(out)
            stills = [open_image(p) for p in images]
            params = {"seconds": opts["seconds"], "fps": opts["fps"], "hold": opts["hold"]}
            facts = self._facts("stills", params, engine,
                                [{"type": "file", "title": Path(p).name} for p in images])
            run = lambda tmp: pipeline.clip_from_stills(  # noqa: E731
                stills, tmp, engine=engine, progress=self._progress, provenance=facts,
                title=title, **params)
        tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.mp4")
        try:
            result = run(tmp)
            os.replace(tmp, out)
        except (avio.VideoError, limits.VideoLimit, ValueError, EngineError) as exc:
            raise CommandError(str(exc).splitlines()[0]) from None
        finally:
            tmp.unlink(missing_ok=True)
        if not self.quiet and self.stderr.isatty():
            self.stderr.write("")
        self.stdout.write(
            f"wrote {out} ({result['width']}x{result['height']}, {result['frames']} frames at "
            f"{result['fps']:g} fps, {result['duration']:g} s"
            + (f", audio {result['audio_seconds']:g} s" if result.get("audio_seconds") else "")
            + f") with {engine.model_id}")
        if opts["to_library"]:
            self._to_library(out, opts["action"], title or out.stem, facts, result, engine)

    # -- helpers ------------------------------------------------------------------------

    def _engine(self, name, engines, EngineError):
        if name == "auto":
            try:
                return engines.get_engine("model")
            except EngineError as exc:
                self.stderr.write(f"{str(exc).splitlines()[0]}; using the blend engine")
                return engines.get_engine("blend")
        try:
            return engines.get_engine(name)
        except ImportError as exc:
            raise CommandError(f"the worker extra is not installed ({exc}): "
                               "pip install 'wagtail-gan[worker]'") from None
        except EngineError as exc:
            raise CommandError(str(exc).splitlines()[0]) from None

    def _check_output(self, out: Path) -> None:
        if out.suffix.lower() not in (".mp4", ".m4v"):
            raise CommandError(f"{out}: the output is an H.264 MP4 file; name it .mp4")
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such directory")

    def _facts(self, kind, params, engine, sources):
        return provenance.info(kind=kind, params=params, engine=engine, sources=sources)

    def _progress(self, done: int, total: int) -> None:
        if self.quiet:
            return
        step = max(1, total // 20)
        if self.stderr.isatty():
            self.stderr.write(f"\rframes {done}/{total} ({100 * done // max(1, total)}%)",
                              ending="")
        elif done == total or done % step == 0:
            self.stderr.write(f"frames {done}/{total}")
        self.stderr.flush()

    def _library_has(self, title: str) -> bool:
        return library.media_model().objects.filter(title=title, type="video").exists()

    def _to_library(self, out, kind, title, facts, result, engine):
        from wagtail_gan.video import pipeline  # noqa: PLC0415 - numpy + PyAV (video extra)

        collection = Collection.get_first_root_node()
        media = library.save_video(out, title=title, collection=collection, user=None,
                                   info=result, tags=(f"video-{kind}",),
                                   thumbnail=pipeline.thumbnail(out))
        now = timezone.now()
        VideoJob.objects.create(
            kind=kind, status=VideoJob.Status.SUCCEEDED, source=VideoJob.Source.COMMAND,
            collection=collection, source_title=title[:255], engine=engine.name,
            source_images=[s for s in facts["sources"] if kind == "stills"],
            params={**facts["params"], "engine_params": engine.params}, progress=100,
            frames_done=result["frames"], frames_total=result["frames"], result=result,
            result_media_id=media.pk, model_id=engine.model_id,
            model_sha256=engine.model_sha256, c2pa="unsigned (command line)",
            started_at=now, finished_at=now)
        self.stdout.write(f"added “{media.title}” to the media library (media {media.pk})")
