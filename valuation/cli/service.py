"""CLI of the HTTP service: ``valuation serve`` and ``valuation keys create|list|revoke``.

Exit codes: 0 ok, 2 invalid input, 3 not found.
"""
from __future__ import annotations

import json

import typer

from .common import DB_HELP, between, db_url, one_of

__all__ = ["keys_app", "register", "serve"]

keys_app = typer.Typer(name="keys", no_args_is_help=True, add_completion=False,
                       help="HTTP 服务的 API 密钥 / API keys of the HTTP service "
                            "(roles: viewer, appraiser, admin)")



def _keys(db: str | None):
    from .. import api
    from ..service.keys import KeyStore

    return KeyStore(db or api.default_db_url())


def _fail(e: Exception) -> None:
    from ..core.errors import NotFoundError, ValuationError

    if isinstance(e, ValuationError):
        typer.echo(f"错误 / error: {e.message_zh}", err=True)
        if e.message_en != e.message_zh:
            typer.echo(f"               {e.message_en}", err=True)
        raise typer.Exit(3 if isinstance(e, NotFoundError) else 2)
    raise e


@keys_app.command("create")
def create(role: str = typer.Option(..., "--role", help="viewer | appraiser | admin"),
           name: str = typer.Option(..., "--name", help="密钥名称（谁使用）/ name (who uses it)"),
           db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP),
           format: str = typer.Option("text", "--format", callback=one_of("text", "json"), help="text | json")) -> None:
    """创建密钥（明文只显示这一次）/ create a key (the plain key is shown once only)."""
    try:
        info, plain = _keys(db).create(name, role)
    except Exception as e:  # noqa: BLE001
        _fail(e)
        return
    if format == "json":
        typer.echo(json.dumps({**info.to_dict(), "key": plain}, ensure_ascii=False))
        return
    typer.echo(f"id:   {info.id}\nname: {info.name}\nrole: {info.role}")
    typer.echo(f"key:  {plain}")
    typer.echo("请妥善保存：密钥明文不会再次显示 / store it now: the key is not shown again", err=True)


@keys_app.command("list")
def list_(db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP),
          format: str = typer.Option("text", "--format", callback=one_of("text", "json"), help="text | json")) -> None:
    """列出密钥（不含明文）/ list keys (never the secrets)."""
    keys = _keys(db).list()
    if format == "json":
        typer.echo(json.dumps([k.to_dict() for k in keys], ensure_ascii=False, indent=2))
        return
    if not keys:
        typer.echo("（无密钥）/ (no keys)")
        return
    typer.echo(f"{'id':<14}{'role':<11}{'status':<18}{'created':<27}name")
    for k in keys:
        st = "有效 active" if k.active else "已吊销 revoked"
        typer.echo(f"{k.id:<14}{k.role:<11}{st:<18}{k.created_at.isoformat()[:19]:<27}{k.name}")


@keys_app.command("revoke")
def revoke(key_id: str = typer.Argument(..., metavar="ID", help="密钥 id / key id"),
           db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP)) -> None:
    """吊销密钥 / revoke a key (takes effect within the service's key cache time)."""
    try:
        k = _keys(db).revoke(key_id)
    except Exception as e:  # noqa: BLE001
        _fail(e)
        return
    typer.echo(f"已吊销 / revoked: {k.id} ({k.name}, {k.role})")


def serve(host: str = typer.Option("127.0.0.1", "--host", help="监听地址 / host"),
          port: int = typer.Option(8000, "--port", callback=between(0, 65535), help="端口（0 = 由系统分配）/ port (0 = any free port)"),
          db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP),
          library: str | None = typer.Option(None, "--library", callback=db_url(seed=True),
                                                help="'seed' → 仅用种子文件 / seed files only"),
          workers: int = typer.Option(1, "--workers", callback=between(1), help="进程数 / worker processes"),
          compute_processes: int | None = typer.Option(
              None, "--compute-processes", min=0,
              help="计算进程数（0 = 服务进程内计算；默认：单服务进程时每核一个）/ appraisal "
                   "compute processes behind one serving process (0 = compute in the serving "
                   "process; default: one per core when --workers is 1 and there are ≥ 2 cores, "
                   "unless VALUATION_SERVICE_COMPUTE_PROCESSES is set)"),
          log_level: str = typer.Option("warning", "--log-level",
                                        callback=one_of("critical", "error", "warning", "info", "debug", "trace"),
                                        help="critical | error | warning | info | debug | trace")) -> None:
    """启动 HTTP 定价服务 / start the HTTP pricing service (uvicorn)."""
    import os

    import uvicorn

    if db:
        os.environ["VALUATION_SERVICE_DB_URL"] = db
    if library:
        os.environ["VALUATION_SERVICE_LIBRARY"] = library
    if compute_processes is None and not os.environ.get("VALUATION_SERVICE_COMPUTE_PROCESSES"):
        from ..service.compute import default_processes

        compute_processes = default_processes(workers)
    if compute_processes is not None:
        os.environ["VALUATION_SERVICE_COMPUTE_PROCESSES"] = str(compute_processes)
    from ..service.settings import Settings

    s = Settings.from_env()
    typer.echo(f"valuation service on http://{host}:{port}  (db {s.resolved_db_url()}, "
               f"library {s.library or 'store'}, compute processes {s.compute_processes})", err=True)
    uvicorn.run("valuation.service.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level=log_level,
                server_header=False)   # no server banner (docs/SECURITY.md)


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``keys`` command group to the main ``valuation`` app."""
    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys")
