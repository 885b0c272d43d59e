"""Core pages: sign in and out, each role's home, the account, the inbox."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from app import notifications, services
from app.auth import login_required, role_required
from app.db import transaction, utcnow
from app.errors import DomainError
from app.extensions import db, limiter
from app.forms import domain_errors, load_form
from app.jobs import job_statuses
from app.models import (
    ApiToken,
    AuditEvent,
    Department,
    EmailStatus,
    Notification,
    OutboxEmail,
    Role,
    RoleMembership,
    Site,
    Trust,
    User,
    Worker,
)
from app.reference import GRADES, StaffGroup
from app.schemas import (
    DepartmentCreateSchema,
    LoginFormSchema,
    NotificationPreferenceFormSchema,
    PasswordChangeFormSchema,
    TrustCreateSchema,
)
from app.tenancy import get_scoped, scope_for, scoped

blueprint = Blueprint("core", __name__)

HOME_ENDPOINTS = {
    Role.WORKER: "core.worker_home",
    Role.WORKFORCE: "core.workforce_home",
    Role.COMPLIANCE: "core.compliance_home",
    Role.FINANCE: "core.finance_home",
    Role.ICS_ADMIN: "core.ics_home",
}


@blueprint.app_context_processor
def navigation() -> dict[str, Any]:
    """The header's menu: each role's home and its domain pages, and the unread count."""
    user = g.get("user")
    if user is None:
        return {"navigation": [], "unread_count": 0}
    extras = current_app.extensions.get("navigation", [])
    items = []
    for role in user.roles:
        entries = [(role.label, HOME_ENDPOINTS[role])]
        entries += [(label, endpoint) for for_role, label, endpoint in extras if for_role == role]
        items += [
            {"label": label, "url": url_for(endpoint), "active": request.endpoint == endpoint}
            for label, endpoint in entries
        ]
    return {"navigation": items, "unread_count": services.unread_count(user)}


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@blueprint.route("/")
def index() -> Any:
    """Send a visitor to their home page, or to sign in."""
    if g.user is None:
        return redirect(url_for("core.login"))
    if not g.user.roles:
        return render_template(
            "error.html",
            status=200,
            title="No role yet",
            detail="Your account has no role yet. Ask your Trust's workforce team to add you.",
        )
    return redirect(url_for(HOME_ENDPOINTS[g.user.roles[0]]))


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _login_limit,
    methods=["POST"],
    error_message="Too many sign-in attempts. Wait a minute and try again.",
)
def login() -> Any:
    """Sign in with email and password."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data, errors = load_form(LoginFormSchema())
        if not errors:
            user = services.authenticate(data["email"], data["password"])
            if user is None:
                errors = {"email": ["Enter a correct email address and password"]}
            else:
                with transaction():
                    secret = services.start_session(
                        user, now=utcnow(), user_agent=request.headers.get("User-Agent")
                    )
                session.clear()
                session["sid"] = secret
                session.permanent = False
                return redirect(_safe_next(data.get("next")) or url_for("core.index"))
        status = 422
    else:
        status = 200
    return render_template(
        "core/login.html", errors=errors, form=request.form, next=request.values.get("next", "")
    ), status


@blueprint.route("/logout", methods=["POST"])
def logout() -> Any:
    """Sign out: the session is revoked on the server, not only forgotten by the browser."""
    if g.user_session is not None:
        with transaction():
            services.end_session(g.user_session, now=utcnow())
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("core.login"))


# Role homes ------------------------------------------------------------------------------


def trust_for_page(role: Role) -> tuple[Trust, list[Trust]]:
    """The Trust a Trust-level page is about (`?trust=`), and the others the user may pick."""
    scope = scope_for(g.user, [role])
    choices = db.session.scalars(scoped(sa.select(Trust), Trust, scope).order_by(Trust.name)).all()
    if not choices:
        abort(404)
    wanted = request.args.get("trust", type=int)
    trust = get_scoped(Trust, wanted, scope, what="Trust") if wanted else choices[0]
    return trust, list(choices)


@blueprint.route("/worker")
@role_required(Role.WORKER)
def worker_home() -> Any:
    """A bank worker's home: their profile, inbox and the Trusts they can work at."""
    worker = g.user.worker
    trusts = db.session.scalars(sa.select(Trust).order_by(Trust.name)).all()
    messages = db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == g.user.id)
        .order_by(Notification.created_at.desc())
        .limit(5)
    ).all()
    return render_template("core/worker_home.html", worker=worker, trusts=trusts, messages=messages)


def _workers_of(trust: Trust) -> list[Worker]:
    return list(
        db.session.scalars(
            sa.select(Worker)
            .join(User)
            .where(Worker.primary_trust_id == trust.id)
            .order_by(User.full_name)
            .limit(200)
        ).all()
    )


def _headcount(trust_id: int | None) -> list[tuple[str, str, int]]:
    stmt = sa.select(Worker.staff_group, Worker.grade, sa.func.count(Worker.id)).group_by(
        Worker.staff_group, Worker.grade
    )
    if trust_id is not None:
        stmt = stmt.where(Worker.primary_trust_id == trust_id)
    order = {
        (group, grade): (i, j)
        for i, group in enumerate(StaffGroup)
        for j, grade in enumerate(GRADES[group])
    }
    rows = [
        (StaffGroup(group).label, grade, n, order.get((group, grade), (99, 99)))
        for group, grade, n in db.session.execute(stmt)
    ]
    return [(label, grade, n) for label, grade, n, _ in sorted(rows, key=lambda r: r[3])]


@blueprint.route("/workforce", methods=["GET", "POST"])
@role_required(Role.WORKFORCE)
def workforce_home() -> Any:
    """A Trust workforce team's home: sites, departments, bank workers; add a department."""
    trust, trusts = trust_for_page(Role.WORKFORCE)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        data, errors = load_form(DepartmentCreateSchema())
        if not errors:
            try:
                with transaction():
                    department = services.create_department(
                        trust, actor=g.user, now=utcnow(), **data
                    )
                flash(f"{department.name} added to {trust.name}.", "success")
                return redirect(url_for("core.workforce_home", trust=trust.id))
            except DomainError as error:
                errors = domain_errors(error, "name")
        status = 422
    site_options = [(site.id, site.name) for site in trust.sites]
    return render_template(
        "core/workforce_home.html",
        trust=trust,
        trusts=trusts,
        site_options=site_options,
        workers=_workers_of(trust),
        errors=errors,
        form=request.form,
    ), status


@blueprint.route("/compliance")
@role_required(Role.COMPLIANCE)
def compliance_home() -> Any:
    """A compliance officer's home: the Trust's workers and their professional registration."""
    trust, trusts = trust_for_page(Role.COMPLIANCE)
    return render_template(
        "core/compliance_home.html", trust=trust, trusts=trusts, workers=_workers_of(trust)
    )


@blueprint.route("/finance")
@role_required(Role.FINANCE)
def finance_home() -> Any:
    """A finance lead's home: cost centres and bank headcount, for a Trust or the whole ICS."""
    scope = scope_for(g.user, [Role.FINANCE])
    trusts = db.session.scalars(scoped(sa.select(Trust), Trust, scope).order_by(Trust.name)).all()
    wanted = request.args.get("trust", type=int)
    trust = get_scoped(Trust, wanted, scope, what="Trust") if wanted else None
    if trust is None and not scope.everything:
        trust = trusts[0]
    departments = db.session.scalars(
        scoped(sa.select(Department), Department, scope)
        .where(Department.trust_id == trust.id if trust else sa.true())
        .order_by(Department.cost_centre)
    ).all()
    return render_template(
        "core/finance_home.html",
        trust=trust,
        trusts=trusts,
        ics_wide=scope.everything,
        departments=departments,
        headcount=_headcount(trust.id if trust else None),
    )


@blueprint.route("/ics", methods=["GET", "POST"])
@role_required(Role.ICS_ADMIN)
def ics_home() -> Any:
    """The ICS administrator's home: every Trust with its size; admit a Trust."""
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        data, errors = load_form(TrustCreateSchema())
        if not errors:
            try:
                with transaction():
                    trust = services.create_trust(
                        data["name"], data["ods_code"], actor=g.user, now=utcnow()
                    )
                flash(f"{trust.name} ({trust.ods_code}) has joined the ICS.", "success")
                return redirect(url_for("core.ics_home"))
            except DomainError as error:
                errors = domain_errors(error, "name")
        status = 422

    def count_by_trust(column: Any, counted: Any = None) -> dict[int, int]:
        counted = sa.func.count() if counted is None else counted
        stmt = sa.select(column, counted).where(column.is_not(None)).group_by(column)
        return dict(db.session.execute(stmt).all())

    sites = count_by_trust(Site.trust_id)
    departments = count_by_trust(Department.trust_id)
    workers = count_by_trust(Worker.primary_trust_id)
    staff = count_by_trust(
        RoleMembership.trust_id, sa.func.count(sa.distinct(RoleMembership.user_id))
    )
    rows = [
        {
            "trust": trust,
            "sites": sites.get(trust.id, 0),
            "departments": departments.get(trust.id, 0),
            "workers": workers.get(trust.id, 0),
            "staff": staff.get(trust.id, 0),
        }
        for trust in db.session.scalars(sa.select(Trust).order_by(Trust.name))
    ]
    recent = db.session.scalars(
        sa.select(AuditEvent)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(15)
    ).all()
    return render_template(
        "core/ics_home.html", rows=rows, recent=recent, errors=errors, form=request.form
    ), status


@blueprint.route("/ics/jobs")
@role_required(Role.ICS_ADMIN)
def jobs() -> Any:
    """Scheduled jobs with their next and last runs, and the email outbox."""
    failed = db.session.scalars(
        sa.select(OutboxEmail)
        .where(OutboxEmail.status == EmailStatus.FAILED)
        .order_by(OutboxEmail.created_at.desc())
        .limit(20)
    ).all()
    return render_template(
        "core/jobs.html",
        statuses=job_statuses(),
        outbox=notifications.outbox_summary(),
        failed=failed,
    )


# Account and inbox ------------------------------------------------------------------------


@blueprint.route("/account", methods=["GET"])
@login_required
def account() -> Any:
    """The user's account: password and personal API tokens."""
    return _account_page({}, status=200)


def _account_page(errors: dict[str, list[str]], *, status: int, new_token: str | None = None):
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == g.user.id).order_by(ApiToken.id)
    ).all()
    return render_template(
        "core/account.html", errors=errors, tokens=tokens, new_token=new_token
    ), status


@blueprint.route("/account/password", methods=["POST"])
@login_required
def change_password() -> Any:
    """Change the password; every other browser is signed out."""
    data, errors = load_form(PasswordChangeFormSchema())
    if not errors:
        try:
            with transaction():
                services.change_password(
                    g.user,
                    data["current_password"],
                    data["new_password"],
                    now=utcnow(),
                    keep=g.user_session,
                )
            flash("Your password has been changed. Other browsers have been signed out.", "success")
            return redirect(url_for("core.account"))
        except DomainError as error:
            errors = domain_errors(error, "current_password")
    return _account_page(errors, status=422)


@blueprint.route("/account/tokens", methods=["POST"])
@login_required
def create_token() -> Any:
    """Create a personal API token and show it once."""
    try:
        with transaction():
            _token, secret = services.create_api_token(
                g.user, request.form.get("name", ""), now=utcnow()
            )
    except DomainError as error:
        return _account_page(domain_errors(error, "name"), status=422)
    return _account_page({}, status=201, new_token=secret)


@blueprint.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Any:
    """Revoke a personal API token."""
    with transaction():
        services.revoke_api_token(g.user, token_id, now=utcnow())
    flash("The token has been revoked.", "success")
    return redirect(url_for("core.account"))


@blueprint.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notification_preferences() -> Any:
    """How the user is told: email as well as the inbox, new-shift nudges, quiet hours."""
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        data, errors = load_form(NotificationPreferenceFormSchema())
        if not errors:
            try:
                with transaction():
                    notifications.set_preferences(g.user, now=utcnow(), **data)
                flash("Your notification preferences have been saved.", "success")
                return redirect(url_for("core.notification_preferences"))
            except DomainError as error:
                errors = domain_errors(error, "email")
        status = 422
    prefs = notifications.preferences_of(g.user)
    if request.method == "POST":
        form = {
            "email": request.form.get("email") is not None,
            "new_shifts": request.form.get("new_shifts"),
            "quiet_hours_start": request.form.get("quiet_hours_start", ""),
            "quiet_hours_end": request.form.get("quiet_hours_end", ""),
        }
    else:
        form = {
            "email": prefs.email,
            "new_shifts": prefs.new_shifts.value,
            "quiet_hours_start": _hhmm(prefs.quiet_hours_start),
            "quiet_hours_end": _hhmm(prefs.quiet_hours_end),
        }
    return render_template("core/notification_preferences.html", errors=errors, form=form), status


def _hhmm(value: Any) -> str:
    return value.strftime("%H:%M") if value is not None else ""


@blueprint.route("/inbox")
@login_required
def inbox() -> Any:
    """The user's messages, newest first."""
    messages = db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == g.user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(200)
    ).all()
    return render_template("core/inbox.html", messages=messages)


@blueprint.route("/inbox/<int:notification_id>/read", methods=["POST"])
@login_required
def read_message(notification_id: int) -> Any:
    """Mark a message read and follow its link."""
    with transaction():
        message = services.mark_notification_read(g.user, notification_id, now=utcnow())
        link = message.link
    return redirect(_safe_next(link) or url_for("core.inbox"))
