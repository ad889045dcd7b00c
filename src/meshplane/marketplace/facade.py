"""The marketplace facade: one Python API that the REST API, the pages and the CLI all call.

A read model over the registry (deployments and their descriptors, descriptor versions, components, runs,
reviews) and the mesh folder (``mesh.yaml``: domains, users, groups, polysemes; git history). Every method
returns pydantic views (:mod:`~meshplane.marketplace.views`) and raises ``MeshplaneError`` subclasses:
``NotFoundError`` for an unknown product, ``InvalidInputError`` naming the field, ``PermissionDeniedError``.

    with Marketplace.open(Path("acme"), "dev") as market:
        market.search("customer", domain=["marketing"]).hits
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Unpack

from meshplane.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from meshplane.history.changelog import changelog
from meshplane.marketplace import finder, insights, lineage_view, product, social, store
from meshplane.marketplace.catalog import Entry
from meshplane.marketplace.governance_view import GovernanceJob
from meshplane.marketplace.live import Live, summary
from meshplane.marketplace.samples import sample
from meshplane.marketplace.state import Cache, CatalogState, LiveState, load_catalog, utcnow
from meshplane.marketplace.views import (
    ChangeView,
    GitEntry,
    PortView,
    ProductPage,
    QualityRun,
    RunView,
    SampleRows,
    SearchResult,
    VersionView,
)
from meshplane.marketplace.views_mesh import (
    AnswerView,
    DomainView,
    Faq,
    GovernanceView,
    LineageView,
    Overview,
    PolysemeView,
    QuestionView,
    Reviews,
    ReviewView,
)
from meshplane.registry import Registry
from meshplane.spec.diagnostics import did_you_mean
from meshplane.spec.loader import DESCRIPTOR_FILE, MESH_FILE, load_mesh
from meshplane.spec.model import BoundaryPort, DataProduct, Mesh, OutputPort

#: Runs shown in a product's quality history and run list.
RUNS_SHOWN = 20


class Marketplace:
    """The marketplace over one environment of one mesh. Thread-safe; cheap to call repeatedly."""

    def __init__(
        self,
        registry: Registry,
        mesh: Mesh,
        mesh_root: Path,
        environment: str = "dev",
        *,
        recheck_after: float = 1.0,
    ) -> None:
        """``recheck_after``: how many seconds a change made elsewhere (a deployment, a run) may take to show;
        0 checks the registry on every call (see ``state.py``)."""
        self.registry = registry
        self.mesh = mesh
        self.mesh_root = Path(mesh_root)
        self.environment = environment
        self._owns_registry = False
        self._governance_lock = threading.Lock()
        self._jobs: list[GovernanceJob] = []
        self._cache = Cache(
            lambda: store.fingerprint(registry, environment),
            lambda: load_catalog(registry, environment),
            lambda: Live.read(registry, environment),
            recheck_after=recheck_after,
        )

    @classmethod
    def open(cls, mesh_root: Path, environment: str | None = None, *, recheck_after: float = 1.0) -> Marketplace:
        """The marketplace of the mesh in ``mesh_root``, opening its registry (closed by ``close``)."""
        from meshplane.provisioning.context import environment as pick_environment
        from meshplane.provisioning.context import registry_url

        loaded = load_mesh(Path(mesh_root) / MESH_FILE)
        if loaded.model is None or not loaded.ok:
            problems = "; ".join(d.message for d in loaded.diagnostics[:3])
            raise InvalidInputError(
                f"{Path(mesh_root) / MESH_FILE} cannot be read: {problems}",
                loaded.diagnostics,
                hint="run `meshplane validate` in the mesh folder",
            )
        mesh = loaded.model
        env = pick_environment(mesh, environment)
        registry = Registry.open(registry_url(mesh, Path(mesh_root)), base=Path(mesh_root))
        market = cls(registry, mesh, Path(mesh_root), env, recheck_after=recheck_after)
        market._owns_registry = True
        return market

    def close(self) -> None:
        """Stop background work (a running policy check) and close the registry if this object opened it."""
        for job in self._jobs:
            job.cancel()
        if self._owns_registry:
            self.registry.close()

    def __enter__(self) -> Marketplace:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- state ---------------------------------------------------------------------------------------
    def _state(self) -> tuple[CatalogState, LiveState]:
        return self._cache.current()

    def refresh(self) -> None:
        """Read the registry again now (changes made elsewhere otherwise show within ``recheck_after``)."""
        self._cache.refresh()

    def warm_up(self) -> None:
        """Build the search index in the background (a server calls this at start-up)."""
        self._cache.warm_up()

    def _entry(self, ref: str, cat_state: CatalogState) -> Entry:
        found = cat_state.catalog.resolve(ref) if ref else None
        if found is None:
            names = cat_state.catalog.names()
            raise NotFoundError(
                f"no data product `{ref}` is deployed in {self.environment}",
                hint=did_you_mean(ref, names) or "search the marketplace for data products",
            )
        return found

    def _model(self, entry: Entry, cat_state: CatalogState) -> DataProduct:
        def load() -> DataProduct:
            deployed = self.registry.deployment(entry.id, self.environment)
            if deployed is None or not deployed.descriptor:
                raise NotFoundError(f"{entry.id} is no longer deployed in {self.environment}")
            return DataProduct.model_validate(deployed.descriptor)

        model: DataProduct = self._cache.memo(cat_state, ("model", entry.id), load)
        return model

    def _models(self, ids: Sequence[str] | None, cat_state: CatalogState) -> list[DataProduct]:
        """Validated models of ``ids`` (every product when None), the uncached ones read in one query."""
        wanted = list(ids) if ids is not None else [e.id for e in cat_state.catalog.entries]
        missing = [i for i in wanted if ("model", i) not in cat_state.memo]
        if missing:
            for dp_id, descriptor in store.descriptors(self.registry, self.environment, missing).items():
                cat_state.memo[("model", dp_id)] = DataProduct.model_validate(descriptor)
        return [cat_state.memo[("model", i)] for i in wanted if ("model", i) in cat_state.memo]

    # -- search --------------------------------------------------------------------------------------
    def search(self, q: str | None = None, **options: Unpack[finder.SearchOptions]) -> SearchResult:
        """Full text over names, descriptions, columns, tags and polysemes; facets by domain, kind, maturity,
        status and quality (see ``finder.SearchOptions``). ``took_ms`` includes the registry freshness check."""
        started = time.perf_counter()
        cat_state, live_state = self._state()
        result = finder.search(cat_state, live_state, self.mesh, q, **options)
        result.took_ms = round((time.perf_counter() - started) * 1000, 3)
        return result

    # -- one data product ----------------------------------------------------------------------------
    def product(self, ref: str, *, samples: int = 5) -> ProductPage:
        """The self-describing page of one product (by id, or by name when unique)."""
        return self._page(ref, samples=samples)

    def _page(self, ref: str, *, samples: int, only_port: str | None = None) -> ProductPage:
        cat_state, live_state = self._state()
        entry = self._entry(ref, cat_state)
        dp = self._model(entry, cat_state)
        if samples < 0 or samples > 50:
            raise InvalidInputError(f"`samples` must be from 0 to 50, got {samples}")

        def sampler(path: str | None, spec: OutputPort | BoundaryPort) -> SampleRows | None:
            if samples == 0 or (only_port is not None and spec.name != only_port):
                return None
            key = ("sample", path, spec.name, samples)
            rows: SampleRows = self._cache.memo(live_state, key, lambda: sample(path, spec.data_contract, samples))
            return rows

        return product.page(
            dp=dp,
            entry=entry,
            catalog=cat_state.catalog,
            live=live_state.live,
            mesh=self.mesh,
            environment=self.environment,
            components=self.registry.components(entry.id, self.environment),
            runs=self.registry.runs.recent(entry.id, self.environment, limit=RUNS_SHOWN),
            history=self.registry.descriptor_versions(entry.id, self.environment),
            changelog=self._changelog(dp, cat_state),
            sampler=sampler,
            questions=self.registry.reviews.question_count(entry.id),
            grants=self._grants(entry.id),
            now=utcnow(),
        )

    def _grants(self, dp_id: str) -> dict[str, int]:
        """Live grants per output port: how many consumers were let in, besides the products reading it."""
        now = utcnow()
        counts: dict[str, int] = {}
        for grant in self.registry.access.grants(dp_id=dp_id, environment=self.environment):
            if grant.live(now):
                counts[grant.port] = counts.get(grant.port, 0) + 1
        return counts

    def _changelog(self, dp: DataProduct, cat_state: CatalogState) -> list[GitEntry]:
        """The descriptor's git history when the mesh is a git repository (else nothing), cached per
        deployment state: what changed in git matters to consumers once it is deployed."""
        file = self.mesh_root / dp.domain / dp.name / DESCRIPTOR_FILE

        def load() -> list[GitEntry]:
            if not file.is_file() or insights.first_commits(self.mesh_root) is None:
                return []
            try:
                entries = changelog(file)
            except Exception:  # history is a nicety: a broken repo must not break the page
                return []
            return [
                GitEntry(
                    version=e.version,
                    commit=e.commit,
                    date=e.date,
                    author=e.author,
                    subject=e.subject,
                    changes=[
                        ChangeView(type=c.type.value, path=c.path, message=c.message, breaking=c.is_breaking())
                        for c in e.changes
                    ],
                )
                for e in entries
            ]

        found: list[GitEntry] = self._cache.memo(cat_state, ("changelog", dp.id), load)
        return found

    def ports(self, ref: str, *, samples: int = 0) -> list[PortView]:
        return self._page(ref, samples=samples).output_ports

    def port(self, ref: str, name: str, *, samples: int = 5) -> PortView:
        page = self._page(ref, samples=samples, only_port=name)
        found = next((p for p in page.output_ports if p.name == name), None)
        if found is None:
            names = [p.name for p in page.output_ports]
            raise NotFoundError(
                f"{page.summary.id} has no output port `{name}`",
                hint=did_you_mean(name, names) or f"its ports: {', '.join(names) or 'none'}",
            )
        return found

    def sample(self, ref: str, port: str, *, limit: int = 10) -> SampleRows:
        found = self.port(ref, port, samples=limit)
        return found.sample or SampleRows(available=False, reason="no rows were asked for")

    def versions(self, ref: str) -> list[VersionView]:
        cat_state, _ = self._state()
        entry = self._entry(ref, cat_state)
        return product.versions(self.registry.descriptor_versions(entry.id, self.environment))

    def runs(self, ref: str, *, limit: int = RUNS_SHOWN) -> list[RunView]:
        if not 1 <= limit <= 500:
            raise InvalidInputError(f"`limit` must be from 1 to 500, got {limit}")
        cat_state, _ = self._state()
        entry = self._entry(ref, cat_state)
        return [product.run_view(r) for r in self.registry.runs.recent(entry.id, self.environment, limit=limit)]

    def quality(self, ref: str, *, limit: int = RUNS_SHOWN) -> list[QualityRun]:
        if not 1 <= limit <= 500:
            raise InvalidInputError(f"`limit` must be from 1 to 500, got {limit}")
        cat_state, _ = self._state()
        entry = self._entry(ref, cat_state)
        runs = self.registry.runs.recent(entry.id, self.environment, limit=limit)
        return [product.quality_run(r) for r in runs if r.finished_at is not None]

    # -- across the mesh -----------------------------------------------------------------------------
    def lineage(self, ref: str | None = None) -> LineageView:
        """The lineage graph of the whole mesh, or of one product with everything up- and downstream."""
        cat_state, live_state = self._state()
        root = self._entry(ref, cat_state).id if ref is not None else None
        ids = sorted(lineage_view.neighbourhood(cat_state.catalog, root)) if root else None

        def build() -> Any:
            models = self._models(ids, cat_state)
            events = store.latest_lineage(self.registry, self.environment, [m.id for m in models])
            return lineage_view.graph(self.mesh_root, self.mesh, models, environment=self.environment, events=events)

        built = self._cache.memo(live_state, ("lineage", root), build)
        return lineage_view.view(built, root)

    def domains(self) -> list[DomainView]:
        cat_state, live_state = self._state()
        return insights.domains(cat_state.catalog, live_state.live, self.mesh)

    def domain(self, name: str) -> DomainView:
        cat_state, live_state = self._state()
        found = next(
            (d for d in insights.domains(cat_state.catalog, live_state.live, self.mesh) if d.name == name), None
        )
        if found is None:
            names = [d.name for d in self.mesh.domains]
            raise NotFoundError(f"no domain `{name}`", hint=did_you_mean(name, names) or f"domains: {', '.join(names)}")
        now = utcnow()
        members = [e for e in cat_state.catalog.entries if e.domain == name]
        found.products = [summary(e, live_state.live, self.mesh, now) for e in sorted(members, key=lambda e: e.name)]
        return found

    def governance(self, *, wait: float | None = None) -> GovernanceView:
        """Every deploy-time policy over every deployed descriptor, evaluated once per deployment state in the
        background. Waits up to ``wait`` seconds for it (None: until it is done) and answers what is known:
        ``complete`` says whether every product was evaluated."""
        if wait is not None and not 0 <= wait <= 600:
            raise InvalidInputError(f"`wait` must be from 0 to 600 seconds, got {wait}")
        cat_state, _ = self._state()

        def start() -> GovernanceJob:
            today = utcnow().date()
            job = GovernanceJob(
                self.mesh_root,
                self.registry.url.render_as_string(hide_password=False),
                environment=self.environment,
                total=len(cat_state.catalog.entries),
                today=today,
                now=utcnow,
            )
            self._jobs[:] = [j for j in self._jobs if not j.done.is_set()] + [job]
            return job.start()

        with self._governance_lock:  # one job per deployment state, however many requests arrive at once
            job: GovernanceJob = self._cache.memo(cat_state, "governance", start)
        job.done.wait(wait)
        return job.view()

    def overview(self, *, limit: int = 100) -> Overview:
        """Value metrics of the mesh; lists are cut to ``limit`` entries (totals count everything)."""
        if not 1 <= limit <= 10_000:
            raise InvalidInputError(f"`limit` must be from 1 to 10000, got {limit}")
        cat_state, live_state = self._state()

        def leads() -> Any:
            return insights.lead_times(
                cat_state.catalog,
                store.first_deploys(self.registry, self.environment),
                store.first_plans(self.registry, self.environment),
                insights.first_commits(self.mesh_root),
            )

        lead = self._cache.memo(cat_state, "lead_times", leads)
        return insights.overview(
            cat_state.catalog, live_state.live, self.mesh, environment=self.environment, lead_times=lead, limit=limit
        )

    def polysemes(self) -> list[PolysemeView]:
        cat_state, _ = self._state()
        return insights.polysemes(cat_state.catalog, self.mesh)

    # -- reviews and FAQ -----------------------------------------------------------------------------
    def rate(self, ref: str, author: str, rating: int, title: str = "", body: str = "") -> ReviewView:
        """Rate a product 1 to 5 stars with an optional review; a second rating by the same author replaces
        the first."""
        who = social.author(author)
        stars = social.rating(rating)
        head = social.text(title, "title", required=False, limit=social.TITLE_MAX)
        text = social.text(body, "body", required=False, limit=social.BODY_MAX)
        cat_state, _ = self._state()
        entry = self._entry(ref, cat_state)
        record = self.registry.reviews.rate(entry.id, who, rating=stars, title=head, body=text)
        self._cache.patch_ratings(self.registry.reviews.summaries([entry.id]))
        return social.review_view(record, self.mesh)

    def reviews(self, ref: str) -> Reviews:
        cat_state, _ = self._state()
        entry = self._entry(ref, cat_state)
        records = self.registry.reviews.reviews(entry.id)
        return social.reviews_view(entry.id, records, self.registry.reviews.distribution(entry.id), self.mesh)

    def ask(self, ref: str, author: str, body: str) -> QuestionView:
        who = social.author(author)
        text = social.text(body, "body", required=True, limit=social.BODY_MAX)
        cat_state, _ = self._state()
        entry = self._entry(ref, cat_state)
        record = self.registry.reviews.ask(entry.id, who, text)
        return social.question_view(record, self.mesh, self._owners(entry, cat_state))

    def answer(self, question_id: int, author: str, body: str) -> AnswerView:
        qid = social.identifier(question_id, "question_id")
        who = social.author(author)
        text = social.text(body, "body", required=True, limit=social.BODY_MAX)
        record = self.registry.reviews.answer(qid, who, text)
        question = self.registry.reviews.question(qid)
        return social.answer_view(record, self.mesh, self._owners_of(question.dp_id))

    def accept(self, question_id: int, answer_id: int, by: str) -> QuestionView:
        """Mark an answer as the accepted one. Only the product's owners may: its owner, its owner group's
        members and its domain's owners (PermissionDeniedError for anyone else)."""
        qid = social.identifier(question_id, "question_id")
        aid = social.identifier(answer_id, "answer_id")
        who = social.author(by)
        question = self.registry.reviews.question(qid)
        owners = self._owners_of(question.dp_id)
        if who not in owners:
            raise PermissionDeniedError(
                f"{who} may not accept answers about {question.dp_id}",
                hint="the product's owner, its owner group or its domain's owners accept answers",
            )
        record = self.registry.reviews.accept(qid, aid, by=who)
        return social.question_view(record, self.mesh, owners)

    def faq(self, ref: str) -> Faq:
        cat_state, _ = self._state()
        entry = self._entry(ref, cat_state)
        owners = self._owners(entry, cat_state)
        questions = self.registry.reviews.questions(entry.id)
        return Faq(data_product=entry.id, questions=[social.question_view(q, self.mesh, owners) for q in questions])

    def owners(self, ref: str) -> set[str]:
        """The users who speak for a product (accept answers; approve access, for the access service)."""
        cat_state, _ = self._state()
        return self._owners(self._entry(ref, cat_state), cat_state)

    def _owners(self, entry: Entry, cat_state: CatalogState) -> set[str]:
        return product.owners(self._model(entry, cat_state), self.mesh)

    def _owners_of(self, dp_id: str) -> set[str]:
        cat_state, _ = self._state()
        entry = cat_state.catalog.by_id.get(dp_id)
        return self._owners(entry, cat_state) if entry is not None else set()
