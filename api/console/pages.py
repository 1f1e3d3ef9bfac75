"""The console's pages under /console, each judging under the version in force (as `/v1/decisions` does) and
counting license usage from the decision log. Every message, a user's text included, is rendered through the
escaping templates; every POST is checked by `security.check_form`."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pycountry
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

import engine
from api.console.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    ConsoleHeaders,
    Refused,
    SignIn,
    check_form,
    csrf_token,
    new_login_token,
    secure,
)
from api.dependencies import Services
from api.errors import ApiError
from api.shapes import PERMISSIONS
from engine.batch import BatchInputError, BatchOptions, run_batch
from engine.contract.transaction import END_USES
from engine.errors import InvalidTransaction
from engine.store import Conflict, NotFound, StoreError
from engine.store.diff import diff
from engine.store.simulate import simulate

HERE = Path(__file__).resolve().parent.parent
COUNTRIES = sorted(((c.alpha_2, f"{c.name} ({c.alpha_2})") for c in pycountry.countries), key=lambda c: c[1])
BATCH_RESULTS_SECONDS = 3600
SESSION_MAX_AGE = 8 * 3600


def add_console(app: FastAPI, *, secure_cookies: bool = False) -> None:
    """The console's pages under /console, over the app's services."""
    services: Services = app.state.services
    store, versions = services.store, services.versions
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    router = APIRouter(prefix="/console", include_in_schema=False)
    results = Path(tempfile.mkdtemp(prefix="clearance-console-"))
    app.mount("/console/static", StaticFiles(directory=str(HERE / "static")), name="console-static")
    app.add_middleware(ConsoleHeaders)

    def signed_in(request: Request, permission: str) -> None:
        """The request's session may use `permission`: its key's id and role go on `request.state`."""
        token = request.cookies.get(SESSION_COOKIE)
        found = store.session(token) if token else None
        if found is None:
            raise SignIn()
        request.state.key_id, request.state.role = found
        request.state.csrf = csrf_token(token or "")
        if found[1] not in PERMISSIONS[permission]:
            raise SignIn(found[1])

    async def posted(request: Request, permission: str) -> Any:
        """A console form, from this site with its session's token, by a session that may use `permission`."""
        signed_in(request, permission)
        form = await request.form()
        check_form(request, form, request.cookies.get(SESSION_COOKIE))
        return form

    async def logged(decision_id: str) -> dict[str, Any] | None:
        """A logged decision with its review, or None when the log has no such decision."""
        try:
            return await run_in_threadpool(store.get, decision_id)
        except NotFound:
            return None

    def page(request: Request, name: str, title: str, current: str, status: int = 200, **context: Any) -> HTMLResponse:
        role = getattr(request.state, "role", None)
        in_force = getattr(request.state, "in_force", None) or versions.last
        return templates.TemplateResponse(
            request,
            name,
            {"title": title, "page": current, "pack": in_force, "role": role,
             "csrf": getattr(request.state, "csrf", ""), **context},
            status_code=status,
        )  # fmt: skip

    def problem(request: Request, status: int, message: str, current: str = "") -> HTMLResponse:
        """An error page: the message (which may quote what the user typed) escaped like any other text."""
        return page(request, "error.html", "Not found" if status == 404 else "Error", current, status, message=message)

    async def in_force(request: Request) -> engine.Pack:
        pack = await versions.in_force()
        request.state.in_force = pack
        return pack

    @app.exception_handler(SignIn)
    async def _sign_in(request: Request, exc: SignIn) -> Response:
        if exc.role is None:
            return RedirectResponse("/console/login?next=" + urllib.parse.quote(request.url.path), status_code=303)
        return problem(request, 403, f"A `{exc.role}` key may not use this page; sign in with another key.")

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return problem(request, 403, f"Refused: {exc.reason}.")

    @router.get("", response_class=HTMLResponse)
    async def home() -> Response:
        return RedirectResponse("/console/check", status_code=303)

    # signing in and out ------------------------------------------------------------------------------------
    def login_page(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
        token = new_login_token()
        response = page(request, "login.html", "Sign in", "", status, error=error,
                        login_csrf=csrf_token(token), next=request.query_params.get("next", ""))  # fmt: skip
        response.set_cookie(
            LOGIN_COOKIE, token, httponly=True, samesite="strict", path="/console/login", max_age=3600,
            secure=secure(request, secure_cookies),
        )  # fmt: skip
        return response

    @router.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> HTMLResponse:
        return login_page(request)

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        check_form(request, form, request.cookies.get(LOGIN_COOKIE))
        token = await run_in_threadpool(store.open_session, str(form.get("key", "")).strip())
        if token is None:
            return login_page(request, "That key is not valid.", 401)
        target = str(form.get("next", ""))
        target = target if target.startswith("/console/") and "//" not in target else "/console/check"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE, token, httponly=True, samesite="strict", path="/console", max_age=SESSION_MAX_AGE,
            secure=secure(request, secure_cookies),
        )  # fmt: skip
        response.delete_cookie(LOGIN_COOKIE, path="/console/login")
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        form = await request.form()
        token = request.cookies.get(SESSION_COOKIE)
        check_form(request, form, token)
        if token:
            await run_in_threadpool(store.close_session, token)
        response = RedirectResponse("/console/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/console")
        return response

    # check -------------------------------------------------------------------------------------------------
    def check_context(pack: engine.Pack) -> dict[str, Any]:
        chips = pack.tables.get("chips")
        return {
            "products": [{"model": r["model"], "vendor": r.get("vendor", "")} for r in (chips.rows if chips else [])],
            "countries": COUNTRIES,
            "end_uses": sorted(pack.vocabularies.get("end_use", END_USES)),
            "attestations": sorted(pack.vocabularies.get("attestations", ())),
        }

    @router.get("/check", response_class=HTMLResponse)
    async def check_form_page(request: Request) -> HTMLResponse:
        signed_in(request, "decisions:read")
        pack = await in_force(request)
        form = {"id": f"WEB-{dt.datetime.now(dt.timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}",
                "date": dt.date.today().isoformat(), "product": "H200", "quantity": "1", "unit_price_usd": "",
                "ship_from": "US", "destination": "", "customer_name": "", "customer_country": "", "end_use": "",
                "license_number": "", "attestations": []}  # fmt: skip
        return page(request, "check.html", "Check", "Check", form=form, **check_context(pack))

    @router.post("/check", response_class=HTMLResponse)
    async def check(request: Request) -> HTMLResponse:
        raw = await posted(request, "decisions:create")
        judge = await in_force(request)
        fields = ("id", "date", "product", "quantity", "unit_price_usd", "ship_from", "destination",
                  "customer_name", "customer_country", "end_use", "license_number")  # fmt: skip
        form: dict[str, Any] = {k: str(raw.get(k, "")).strip() for k in fields}
        form["attestations"] = [str(a) for a in raw.getlist("attestations")]
        data: dict[str, Any] = {k: v for k, v in form.items() if v and k not in ("customer_name", "customer_country")}
        data["customer"] = {"name": form["customer_name"]} | (
            {"country": form["customer_country"]} if form["customer_country"] else {}
        )
        data["attestations"] = form["attestations"]
        context = {"form": form, **check_context(judge)}
        try:
            tx = judge.transaction(data, "form")
        except InvalidTransaction as exc:
            return page(request, "check.html", "Check", "Check", errors=exc.errors, **context)
        try:
            record, _ = await run_in_threadpool(store.submit, judge, tx, request.state.key_id)
        except Conflict as exc:
            return page(
                request, "check.html", "Check", "Check", errors=[{"field": "id", "message": str(exc)}], **context
            )
        services.metrics.decided.labels(record["decision"]).inc()
        return page(request, "check.html", "Check", "Check", d=record, **context)

    # batch -------------------------------------------------------------------------------------------------
    @router.get("/batch", response_class=HTMLResponse)
    async def batch_form(request: Request) -> HTMLResponse:
        signed_in(request, "batches:create")
        await in_force(request)
        return page(request, "batch.html", "Batch", "Batch")

    jobs: dict[str, dict[str, Any]] = {}

    def run_job(token: str, options: BatchOptions, pack: engine.Pack, name: str) -> None:
        job = jobs[token]

        def progress(done: int, total: int, rows: int) -> None:
            job.update(done=done, total=max(total, 1), rows=rows)

        try:
            job["summary"] = run_batch(options, pack, progress).as_dict()
            job["state"] = "done"
        except BatchInputError as exc:
            job.update(state="error", error=str(exc).replace(str(options.input), name))
        except Exception as exc:  # reported on the page, never lost
            job.update(state="error", error=f"the batch failed: {exc}")
        finally:
            options.input.unlink(missing_ok=True)

    @router.post("/batch", response_class=HTMLResponse)
    async def batch(request: Request) -> Response:
        form = await posted(request, "batches:create")
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            await form.close()
            return problem(request, 422, "Choose a CSV file to check.", "Batch")
        pack = await in_force(request)
        usage = await run_in_threadpool(store.usage)
        for old in results.iterdir():  # results are kept for an hour
            if time.time() - old.stat().st_mtime > BATCH_RESULTS_SECONDS:
                old.unlink(missing_ok=True)
        token = secrets.token_hex(12)
        source, target = results / f"{token}.in.csv", results / f"{token}.csv"
        try:
            source.write_bytes(await upload.read())
        finally:
            await form.close()
        jobs[token] = {"state": "running", "done": 0, "total": max(source.stat().st_size, 1), "rows": 0}
        options = BatchOptions(input=source, output=target, pack_dir=pack.root, usage=usage)
        name = upload.filename or "upload"
        threading.Thread(target=run_job, args=(token, options, pack, name), daemon=True).start()
        return RedirectResponse(f"/console/batch/{token}", status_code=303)

    @router.get("/batch/{token}/status")
    async def batch_status(request: Request, token: str) -> Response:
        signed_in(request, "batches:create")
        job = jobs.get(token)
        if job is None:
            return JSONResponse({"state": "unknown"}, status_code=404)
        return JSONResponse({k: job[k] for k in ("state", "done", "total", "rows")})

    @router.get("/batch/{token}", response_class=HTMLResponse)
    async def batch_page(request: Request, token: str) -> HTMLResponse:
        signed_in(request, "batches:create")
        job = jobs.get(token)
        if job is None:
            return problem(request, 404, "No such batch (results are kept for an hour).", "Batch")
        if job["state"] == "error":
            return page(request, "batch.html", "Batch", "Batch", error=job["error"])
        if job["state"] == "running":
            return page(request, "batch.html", "Batch", "Batch", running=job, token=token)
        return page(request, "batch.html", "Batch", "Batch", summary=job["summary"], token=token)

    @router.get("/batch/{token}/result.csv")
    async def batch_result(request: Request, token: str) -> Response:
        signed_in(request, "batches:create")
        path = results / f"{token}.csv"
        if not token.isalnum() or not path.is_file():
            return problem(request, 404, "No such result (results are kept for an hour).", "Batch")
        return FileResponse(path, media_type="text/csv", filename="clearance-result.csv")

    # reviews -----------------------------------------------------------------------------------------------
    @router.get("/reviews", response_class=HTMLResponse)
    async def reviews(request: Request) -> HTMLResponse:
        signed_in(request, "reviews:read")
        items = await run_in_threadpool(store.reviews, "open")
        return page(request, "reviews.html", "Reviews", "Reviews", items=items)

    @router.get("/reviews/{decision_id}", response_class=HTMLResponse)
    async def review(request: Request, decision_id: str) -> HTMLResponse:
        signed_in(request, "reviews:read")
        decision = await logged(decision_id)
        if decision is None:
            return problem(request, 404, f"No decision `{decision_id}` in the log.", "Reviews")
        return page(request, "review.html", "Review", "Reviews", d=decision)

    @router.post("/reviews/{decision_id}", response_class=HTMLResponse)
    async def resolve(request: Request, decision_id: str) -> HTMLResponse:
        form = await posted(request, "reviews:resolve")
        resolution, note = str(form.get("resolution", "")), str(form.get("note", ""))
        try:
            decision = await run_in_threadpool(store.resolve, decision_id, resolution, note, request.state.key_id)
        except StoreError as exc:  # no such review, resolved already, or no note
            found = await logged(decision_id)
            if found is None:
                return problem(request, 404, f"No decision `{decision_id}` in the log.", "Reviews")
            return page(request, "review.html", "Review", "Reviews", d=found, error=str(exc))
        return page(request, "review.html", "Review", "Reviews", d=decision)

    # licenses ----------------------------------------------------------------------------------------------
    @router.get("/licenses", response_class=HTMLResponse)
    async def licenses(request: Request) -> HTMLResponse:
        signed_in(request, "decisions:read")
        pack = await in_force(request)
        usage = await run_in_threadpool(store.usage)
        table = pack.tables.get("licenses")
        rows = []
        for row in table.rows if table else []:
            used = usage.get(("license_usage", row["license_number"]), {})
            units, value = used.get("units", 0), used.get("value_usd", 0)
            limit_units, limit_value = row.get("quantity_limit") or 0, row.get("value_limit_usd") or 0
            rows.append({**row, "units_used": units, "value_used": value, "units_left": max(limit_units - units, 0),
                         "units_share": _share(units, limit_units),
                         "value_share": _share(value, limit_value)})  # fmt: skip
        return page(request, "licenses.html", "Licenses", "Licenses", licenses=rows)

    # log ---------------------------------------------------------------------------------------------------
    @router.get("/log", response_class=HTMLResponse)
    async def log_page(
        request: Request, decision: str = "", customer: str = "", since: str = "", cursor: str = ""
    ) -> HTMLResponse:
        signed_in(request, "decisions:read")
        when = None
        if since:
            try:
                when = dt.datetime.combine(dt.date.fromisoformat(since), dt.time(), dt.timezone.utc)
            except ValueError:
                when = None
        try:
            items, following = await run_in_threadpool(
                lambda: store.search(outcome=decision or None, since=when, customer=customer or None,
                                     after=cursor or None, limit=50)
            )  # fmt: skip
        except StoreError:
            items, following = [], None
        query = {"decision": decision, "customer": customer, "since": since}
        next_query = urllib.parse.urlencode({**query, "cursor": following or ""})
        happened = await run_in_threadpool(store.events, None, 20)
        return page(
            request, "log.html", "Log", "Log", items=items, query=query, next_cursor=following, next_query=next_query,
            events=happened,
        )  # fmt: skip

    @router.get("/log/{decision_id}", response_class=HTMLResponse)
    async def entry(request: Request, decision_id: str) -> HTMLResponse:
        signed_in(request, "decisions:read")
        decision = await logged(decision_id)
        if decision is None:
            return problem(request, 404, f"No decision `{decision_id}` in the log.", "Log")
        return page(request, "entry.html", "Decision", "Log", d=decision)

    @router.post("/log/{decision_id}/replay", response_class=HTMLResponse)
    async def replay(request: Request, decision_id: str) -> HTMLResponse:
        await posted(request, "decisions:read")
        decision = await logged(decision_id)
        if decision is None:
            return problem(request, 404, f"No decision `{decision_id}` in the log.", "Log")
        try:
            stored, again = await run_in_threadpool(store.replay, decision_id, services.pack)
            differing = ", ".join(k for k in sorted(stored) if stored.get(k) != again.get(k))
            outcome = (
                "Replayed: identical to the logged decision."
                if stored == again
                else f"Replayed: differs in {differing}"
            )
        except StoreError as exc:
            outcome = f"Cannot replay: {exc}"
        return page(request, "entry.html", "Decision", "Log", d=decision, replay=outcome)

    # rules -------------------------------------------------------------------------------------------------
    @router.get("/rules", response_class=HTMLResponse)
    async def rules(request: Request) -> HTMLResponse:
        signed_in(request, "rulesets:read")
        pack = await in_force(request)
        published = await run_in_threadpool(store.versions, pack.name)
        activations = await run_in_threadpool(store.activations, pack.name)
        shadowing = await run_in_threadpool(store.shadowed, pack.name)
        return page(request, "rules.html", "Rules", "Rules", versions=published, activations=activations[::-1],
                    shadowing=shadowing)  # fmt: skip

    @router.get("/rules/shadow", response_class=HTMLResponse)
    async def shadow(request: Request) -> HTMLResponse:
        signed_in(request, "rulesets:shadow-report")
        pack = await in_force(request)
        report = await run_in_threadpool(store.shadow_report, pack.name)
        shadowing = await run_in_threadpool(store.shadowed, pack.name)
        return page(request, "shadow.html", "Shadow", "Rules", report=report, shadowing=shadowing)

    @router.get("/rules/diff", response_class=HTMLResponse)
    async def rules_diff(request: Request, show: str = "diff") -> HTMLResponse:
        signed_in(request, "rulesets:read")
        old_ref, new_ref = request.query_params.get("from", ""), request.query_params.get("to", "")
        try:
            old = await run_in_threadpool(store.version, old_ref)
            new = await run_in_threadpool(store.version, new_ref)
        except StoreError as exc:
            return problem(request, 404, f"No such version: {exc}", "Rules")
        simulation = None
        as_of = None
        with contextlib.suppress(ValueError):
            as_of = dt.date.fromisoformat(request.query_params.get("as_of", ""))
        if show == "simulate":
            signed_in(request, "simulations:create")
            try:
                current, candidate = await versions.by_digest(old["digest"]), await versions.by_digest(new["digest"])
            except ApiError as exc:
                return problem(request, exc.status, f"Cannot simulate: {exc.message}", "Rules")
            simulation = await run_in_threadpool(lambda: simulate(current, candidate, store.logged(), as_of=as_of))
        return page(request, "diff.html", "Diff", "Rules", old=old, new=new, result=diff(old["files"], new["files"]),
                    simulation=simulation)  # fmt: skip

    @router.get("/rules/{ref}", response_class=HTMLResponse)
    async def version(request: Request, ref: str) -> HTMLResponse:
        signed_in(request, "rulesets:read")
        try:
            record = await run_in_threadpool(store.version, ref, False)
        except StoreError as exc:
            return problem(request, 404, f"No such version: {exc}", "Rules")
        try:
            loaded = await versions.by_digest(record["digest"])
        except ApiError as exc:
            return problem(request, exc.status, f"Version `{ref}` cannot be shown: {exc.message}", "Rules")
        rules_of = [{**r.summary(), "when": r.when, "message": r.message.source} for r in loaded.rules]
        return page(request, "version.html", "Version", "Rules", version=record, rules=rules_of)

    @router.get("/{rest:path}", response_class=HTMLResponse)
    async def unknown(request: Request, rest: str) -> HTMLResponse:
        return problem(request, 404, f"No page `/console/{rest}`.")

    app.include_router(router)


def _share(used: Any, limit: Any) -> float:
    return min(100.0, round(100 * float(used) / float(limit), 1)) if limit else 0.0
