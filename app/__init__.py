"""The application factory: the only place that wires the domain modules in."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask

from config import Config

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def create_app(config_class: type = Config) -> Flask:
    """Build the app from `config_class` (a Config subclass)."""
    # INSTANCE_PATH moves the instance folder (SQLite file, generated secret key) elsewhere.
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None)
    app.config.from_object(config_class)
    register_instance_defaults(app)
    register_extensions(app)
    register_errorhandlers(app)
    register_blueprints(app)
    register_commands(app)
    register_templates(app)
    register_jobs(app)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    start_scheduler_in_web(app)
    return app


def register_instance_defaults(app: Flask) -> None:
    """A SQLite file and a generated secret key under `instance/` when none are configured."""
    instance = Path(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        instance.mkdir(parents=True, exist_ok=True)
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'staffbank.sqlite'}"


def register_extensions(app: Flask) -> None:
    from app.auth import register_auth
    from app.db import configure_sqlite
    from app.extensions import api, csrf, db, limiter, migrate

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).resolve().parent.parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    register_auth(app)


def register_errorhandlers(app: Flask) -> None:
    from app.errors import register_errorhandlers as install

    install(app)


def register_blueprints(app: Flask) -> None:
    """Pages and API of the core and each domain; each domain's menu entries per role."""
    import bank.subscriptions  # noqa: F401  (the bank's signal receivers)
    import passport
    import rota.subscriptions  # noqa: F401  (the rota's signal receivers)
    from app.api import blueprints as core_api
    from app.extensions import api, csrf
    from app.views import blueprint as core_views
    from bank.api import blp as bank_api
    from bank.api_offers import blp as offers_api
    from bank.api_workforce import blp as workforce_api
    from bank.views import NAVIGATION as bank_navigation
    from bank.views import blueprint as bank_views
    from bank.views_offers import NAVIGATION as offers_navigation
    from bank.views_offers import blueprint as offers_views
    from bank.views_pay import NAVIGATION as pay_navigation
    from bank.views_pay import blueprint as pay_views
    from bank.views_workforce import NAVIGATION as workforce_navigation
    from bank.views_workforce import blueprint as workforce_views
    from passport.api import blp as passport_api
    from passport.views import blueprint as passport_views
    from rota.api_gapfill import blp as gapfill_api
    from rota.api_rotas import blp as rota_api
    from rota.views_gapfill import NAVIGATION as gapfill_navigation
    from rota.views_gapfill import blueprint as gapfill_views
    from rota.views_rotas import NAVIGATION as rota_navigation
    from rota.views_rotas import blueprint as rota_views

    for blueprint in (
        core_views,
        passport_views,
        bank_views,
        offers_views,
        workforce_views,
        pay_views,
        rota_views,
        gapfill_views,
    ):
        app.register_blueprint(blueprint)
    for blueprint in [
        *core_api,
        passport_api,
        bank_api,
        offers_api,
        workforce_api,
        rota_api,
        gapfill_api,
    ]:
        csrf.exempt(blueprint)  # the API takes bearer tokens, never cookies
        api.register_blueprint(blueprint)
    app.extensions["navigation"] = [
        *passport.NAVIGATION,
        *bank_navigation,
        *offers_navigation,
        *pay_navigation,
        *workforce_navigation,
        *rota_navigation,
        *gapfill_navigation,
    ]


def register_commands(app: Flask) -> None:
    from app.cli import demo_cli, scheduler_cli, users_cli
    from passport.cli import passport_cli

    for group in (demo_cli, users_cli, scheduler_cli, passport_cli):
        app.cli.add_command(group)


def register_jobs(app: Flask) -> None:
    """The scheduled jobs of the core and each domain (`flask scheduler run` runs them)."""
    from app.jobs import JOBS as core_jobs
    from bank.jobs import JOBS as bank_jobs
    from passport.jobs import JOBS as passport_jobs
    from rota.jobs import JOBS as rota_jobs

    app.extensions["jobs"] = [*core_jobs, *passport_jobs, *bank_jobs, *rota_jobs]


def start_scheduler_in_web(app: Flask) -> None:
    """The demo only (`make run`): run the scheduler inside the web process.

    In production the scheduler is its own process (`flask scheduler run`), one per
    deployment, however many web workers there are.
    """
    if not app.config.get("SCHEDULER_IN_WEB") or app.testing:
        return
    import click

    command = click.get_current_context(silent=True)
    if command is not None and command.info_name != "run":
        return  # `flask db upgrade` and the like: no scheduler, even with the flag set
    from app import scheduler

    app.extensions["scheduler"] = scheduler.start(app)


def register_templates(app: Flask) -> None:
    from app.templating import register_filters

    register_filters(app)
