from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cop import idempotency, permissions
from cop.communities.models import Community
from cop.discussions.models import KIND_LABELS, PRIORITY_LABELS
from cop.errors import DomainError
from cop.forms import form_status, show_domain_error, showing_errors
from cop.oversight import charts, listening, metrics, periods, portfolio as portfolios, reports, services, value
from cop.oversight.export import listening_csv, report_csv as render_csv, value_csv
from cop.oversight.forms import PERIOD_LABELS, ObjectiveForm, PeriodForm
from cop.oversight.models import MAX_OBJECTIVES

bp = Blueprint("oversight", __name__)


def _overseen_community(slug) -> Community:
    return permissions.get_overseen_community_or_404(slug, current_user)


@bp.route("/oversight")
def portfolio():
    days = request.args.get("period", str(periods.DEFAULT_PERIOD))
    if days not in {str(d) for d in periods.PERIOD_CHOICES}:
        days = str(periods.DEFAULT_PERIOD)
    sort = request.args.get("sort", "name")
    sort = sort if sort in portfolios.SORT_KEYS else "name"
    direction = "desc" if request.args.get("dir") == "desc" else "asc"
    period = periods.Period.last(int(days))
    rows = portfolios.sort_portfolio(portfolios.portfolio(current_user, period, reuse=True), sort, direction)
    values = value.portfolio_value([row.community_id for row in rows], period) if rows else {}
    return render_template(
        "oversight/portfolio.html",
        rows=rows,
        values=values,
        reuse_minutes=periods.REUSE_SECONDS // 60,
        period=period,
        days=days,
        sort=sort,
        direction=direction,
        period_labels=PERIOD_LABELS,
        choices=periods.PERIOD_CHOICES,
    )


def _period_or_error(form: PeriodForm):
    """The period the query string asks for, or None after putting the error next to its field."""
    try:
        return form.chosen_period()
    except DomainError as exc:
        show_domain_error(form, exc)
        return None


def _report_page(slug, template: str):
    community = _overseen_community(slug)
    form = PeriodForm(request.args)
    period = _period_or_error(form)
    if period is None:
        return render_template(template, community=community, form=form, report=None), 400
    report = reports.reused_report(community, period, current_user, recent=form.period.data != "custom")
    mood = listening.listening_report(community, report.period, current_user, report.share_of_voice)
    return render_template(
        template,
        community=community,
        form=form,
        report=report,
        charts=_charts(report) | _mood_charts(report, mood),
        mood=mood,
        worth=value.value_report(community, report.period),
        reuse_minutes=periods.REUSE_SECONDS // 60,
        kind_labels=KIND_LABELS,
        priority_labels=PRIORITY_LABELS,
        max_objectives=MAX_OBJECTIVES,
        query=form.query_args(),
        metrics=metrics.METRICS,
    )


def _week_axis(weeks) -> tuple[list[str], str]:
    """The charts' labels for ``weeks`` (each with its ``end`` date) and the span they cover, for the
    descriptions ("the 12 weeks to 07 Dec 2026"; empty without weeks)."""
    labels = [week.end.strftime("%d %b") for week in weeks]
    return labels, f"the {len(weeks)} weeks to {weeks[-1].end:%d %b %Y}" if weeks else ""


def _charts(report) -> dict:
    labels, span = _week_axis(report.trends)
    return {
        "posts": charts.bar_chart(
            "chart-posts",
            "Posts per week",
            f"Posts in {report.name} per week, {span}.",
            labels,
            [p.posts for p in report.trends],
        ),
        "contributors": charts.bar_chart(
            "chart-contributors",
            "Active contributors per week",
            f"People who posted or added a resource in {report.name}, per week, {span}.",
            labels,
            [p.contributors for p in report.trends],
        ),
        "first_reply": charts.line_chart(
            "chart-first-reply",
            "Median time to first reply per week (hours)",
            f"Median hours from opening a thread to its first reply by someone else, by week of opening, {span}. "
            "Weeks with no replied thread have no point.",
            labels,
            [p.median_first_reply_hours for p in report.trends],
            " h",
        ),
    }


def _mood_charts(report, mood) -> dict:
    labels, span = _week_axis(mood.trend)
    return {
        "sentiment_negative": charts.line_chart(
            "chart-sentiment-negative",
            "Weekly share of negative posts (%)",
            f"Percent of the scored posts in {report.name} that read negative, per week, {span}. "
            "Weeks with no scored post have no point.",
            labels,
            [week.mix.share("negative") for week in mood.trend],
            " %",
        ),
        "sentiment_positive": charts.line_chart(
            "chart-sentiment-positive",
            "Weekly share of positive posts (%)",
            f"Percent of the scored posts in {report.name} that read positive, per week, {span}. "
            "Weeks with no scored post have no point.",
            labels,
            [week.mix.share("positive") for week in mood.trend],
            " %",
        ),
    }


@bp.route("/c/<slug>/report")
def report(slug):
    return _report_page(slug, "oversight/report.html")


@bp.route("/c/<slug>/report/print")
def report_print(slug):
    return _report_page(slug, "oversight/report_print.html")


@bp.route("/c/<slug>/report.csv")
def report_csv(slug):
    community = _overseen_community(slug)
    form = PeriodForm(request.args)
    period = _period_or_error(form)
    if period is None:
        return render_template("oversight/report.html", community=community, form=form, report=None), 400
    report = reports.reused_report(community, period, current_user, recent=form.period.data != "custom")
    filename = f"{community.slug}-report-{period.start:%Y%m%d}-{period.last_day:%Y%m%d}.csv"
    mood = listening.listening_report(community, report.period, current_user, report.share_of_voice)
    worth = value.value_report(community, report.period)
    return Response(
        render_csv(report) + listening_csv(mood) + value_csv(worth),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _objective(community, objective_id):
    objective = services.get_objective(community, objective_id)
    if objective is None:
        abort(404)
    return objective


@bp.route("/c/<slug>/objectives/new", methods=["GET", "POST"])
def new_objective(slug):
    community = _overseen_community(slug)
    form = ObjectiveForm()
    if form.validate_on_submit():
        report_url = url_for(".report", slug=community.slug) + "#objectives-h"
        with showing_errors(form):  # the claim is a write too: a busy database is shown on the form
            if (again := idempotency.replay(form, report_url)) is not None:
                return again
            services.create_objective(current_user, community, **form.values())
            flash("Objective recorded.", "success")
            return idempotency.created(form, report_url)
    return render_template(
        "oversight/objective_form.html", community=community, form=form, objective=None, metrics=metrics.METRICS
    ), form_status(form)


@bp.route("/c/<slug>/objectives/<int:objective_id>/edit", methods=["GET", "POST"])
def edit_objective(slug, objective_id):
    community = _overseen_community(slug)
    objective = _objective(community, objective_id)
    stored = {
        "title": objective.title,
        "business_goal": objective.business_goal,
        "metric": objective.metric,
        "baseline": f"{objective.baseline:g}",
        "target": f"{objective.target:g}",
        "due_on": objective.due_on.isoformat(),
    }
    form = ObjectiveForm(data=stored) if request.method == "GET" else ObjectiveForm()
    if form.validate_on_submit():
        with showing_errors(form):
            services.update_objective(current_user, objective, **form.values())
            flash("Objective saved.", "success")
            return redirect(url_for(".report", slug=community.slug) + "#objectives-h")
    return render_template(
        "oversight/objective_form.html", community=community, form=form, objective=objective, metrics=metrics.METRICS
    ), form_status(form)


@bp.route("/c/<slug>/objectives/<int:objective_id>/delete", methods=["POST"])
def delete_objective(slug, objective_id):
    community = _overseen_community(slug)
    objective = _objective(community, objective_id)
    services.delete_objective(current_user, objective)
    flash("Objective removed.", "success")
    return redirect(url_for(".report", slug=community.slug) + "#objectives-h")
