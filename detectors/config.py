"""Configuration of the detectors: thresholds are configuration, not code."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator


class RiskConfig(BaseModel):
    """Per-order complaint-risk model (online logistic regression with a rule prior)."""

    learning_rate: float = Field(0.005, description="SGD step of the online logistic regression")
    l2: float = Field(1e-4, description="L2 regularisation of the online model")
    prior_weight_labels: int = Field(60, description="positive labels after which the learned model fully "
                                                     "replaces the rule prior (linear blend before that)")
    positive_delay_h: float | None = Field(None, ge=0, description="hours after an escalation before it is learned "
                                           "as a positive label (None: tracking.closed_label_after_h, the wait of "
                                           "a negative; 0: at once)")
    min_change: float = Field(0.005, description="emit a new risk record when risk moves at least this much")
    pressure_tau_min: float = Field(120.0, gt=0, description="time constant of the risk feature `pressure` (how "
                                    "hard the customer is chasing now): an urge, message or reopening weighs "
                                    "1/e this many minutes later")


class OrderTierConfig(BaseModel):
    """How an order's signals become a per-order alert tier (domain.md: early-warning tiers)."""

    risk_blue: float = Field(0.08, description="risk at or above which the risk record's tier is blue")
    risk_yellow: float = Field(0.2, description="... yellow")
    risk_orange: float = Field(0.5, description="... orange")
    risk_red: float = Field(0.75, description="... red")
    lag_alert_level: float = Field(0.9, description="share of a deadline from which a per-order lag alert fires "
                                                    "(0.9 = orange, 1.0 = red/breached); lower shares show on the "
                                                    "board and in risk records only")
    alert_min_tier: str = Field("orange", description="lowest tier of a per-order complaint_risk alert")
    urge_tier: str = Field("yellow", description="tier of an order that was urged (催办)")
    threat_tier: str = Field("orange", description="tier of an explicit threat to go to 12398/12345/media")
    repeat_tier: str = Field("yellow", description="tier of a repeat contact within 24 h")
    outage_customers: int = Field(500, description="an outage report hitting at least this many customers ...")
    outage_tier: str | None = Field(None, description="... gives the order at least this tier (None: the outage is "
                                                      "an aggregate fact — arrival_surge — and only a risk feature "
                                                      "per order, so one outage does not raise hundreds of alerts)")


class ScopeRulesConfig(BaseModel):
    """Aggregate (per-scope) rules: which counts are unusual enough to warn a duty manager."""

    tick_s: float = Field(60.0, description="aggregate detectors evaluate once per this many event-time seconds")
    risk_minutes_floor: float = Field(8.0, description="order-minutes at risk (open orders past half their "
                                                        "deadline, summed over 10 min) below which a scope stays quiet")
    sentiment_z: float = Field(4.0, description="deviations above its normal lift (share of strongly negative "
                                                "texts vs the province's) at which a region's sentiment alert fires")
    sentiment_min_lift: float = Field(1.6, description="lowest lift that can fire a sentiment alert")
    sentiment_min_texts: int = Field(25, description="customer texts in an hour a region needs before its "
                                                     "sentiment is judged")
    sentiment_sampling_z: float = Field(4.0, ge=0.0, description="a region's lift must also be this many binomial "
                                        "deviations above its normal at its current count of texts: a night's 80 "
                                        "texts move a share by chance more than the spread learned over busy hours "
                                        "allows (0 = off)")
    surge_z: float = Field(6.0, description="deviations above its normal share of the province's fault reports at "
                                            "which a region's arrival-surge alert fires")
    surge_sampling_z: float = Field(4.0, ge=0.0, description="a region's share of the province's fault reports "
                                    "must also be this many binomial deviations above its normal at the province's "
                                    "current count: a night's 30 reports move a share by chance more than the spread "
                                    "learned over busy hours allows (0 = off)")
    surge_min_faults: int = Field(8, description="fault reports in 30 min a region needs before a surge is judged")
    topic_threshold: float = Field(10.0, description="evidence (CUSUM log-likelihood ratio) that the share of a "
                                                      "region's new contacts angry about one topic has risen, at which topic_surge "
                                                      "fires")
    topic_odds_ratio: float = Field(4.0, description="smallest rise of a topic's share worth warning about: its "
                                                     "odds (share ÷ rest) × this")
    topic_min_contacts: int = Field(5, description="angry contacts about the topic in the last hour a region needs "
                                                   "before topic_surge fires")
    reclass_threshold: float = Field(8.0, description="evidence (CUSUM log-likelihood ratio) that the share of a "
                                                      "channel's dispatches that change the category has risen, at "
                                                      "which reclassification fires")
    misfile_threshold: float = Field(8.0, description="evidence (CUSUM) that the share of a channel's new contacts "
                                                       "whose text reads as another category than the one filed "
                                                       "(detectors/misfile.py) has risen, at which "
                                                       "reclassification fires before the dispatches show it (0 = off)")
    lag_cusum_threshold: float = Field(10.0, description="evidence (CUSUM) that the share of a scope's short SLA "
                                                        "checks reaching half their deadline has risen, at which its "
                                                        "lag alert turns yellow (0 = off)")
    lag_cusum_fast_orders: int = Field(1, description="orders past 75 % of their deadline that let a scope lag "
                                       "verdict backed by the sequential lag test fire after sequential_hold_minutes "
                                       "instead of hold_minutes (its CUSUM has already weighed the evidence over "
                                       "time; 0: never)")
    lag_cusum_min_orders: int = Field(2, description="orders of the scope's stage past half their deadline now "
                                                     "that the sequential lag test needs before it turns yellow")
    lag_cusum_province: bool = Field(True, description="the sequential lag test compares a scope with the "
                                                       "province's share in the last hour (a rise all regions "
                                                       "share, like the morning peak, is no evidence)")
    bounce_per_volume: bool = Field(True, description="judge a department's reassignments at its usual dispatch "
                                    "volume: with N times its usual dispatches in the last hour, its normal "
                                    "count is taken as risen N times (mean x N, spread x sqrt N: a morning peak or "
                                    "an outage's repairs bring more bounces with more orders; the normal is "
                                    "learned from raw counts)")
    bounce_min_count: int = Field(6, description="reassignments (转派退单) in 60 min a department needs before "
                                  "reassignment_bounce fires, however low its normal (5, the old fixed floor, is "
                                  "what ordinary bounces of ~1 an hour reach by chance in a busy hour somewhere "
                                  "among thirty departments: 7 of the generalisation streams' 39 false alarms, "
                                  "five different orders each with mixed reasons; no labelled incident was first "
                                  "seen by this rule)")
    reclass_joint_threshold: float = Field(13.0, description="summed evidence of the dispatch and the text "
                                           "tests of one channel (reclass_threshold's and misfile_threshold's "
                                           "CUSUMs, each at least a quarter of it, and each with half "
                                           "reclass_min_count in the last hour) at which reclassification fires "
                                           "although neither has reached its own threshold (0 = off)")
    misfile_rest_floor: bool = Field(True, description="a channel's misfiled share is tested against at least the "
                                     "rest of the province's over the last 15 minutes: the text model keeps learning, and "
                                     "its verdicts rise and fall on every channel at once (2 % to 5 % in one evening "
                                     "hour at ten times the public streams' volume), where a misclassification wave "
                                     "is one channel's")
    misfile_rest_min: int = Field(100, ge=1, description="judged contacts the rest of the province needs in the last "
                                  "15 minutes before its share is that floor (at the public streams' volume the "
                                  "whole province judges about 60 in 15 minutes: the floor is for a large province)")
    misfile_prior_contacts: int = Field(50, ge=0, description="new contacts the province's text → category "
                                        "verdicts need before their misfiled share is every channel's usual share "
                                        "to start from (the text model starts judging all channels at once: "
                                        "without it a channel learns a wave under way then as its normal; 0: the "
                                        "share watches' warm-up, 200)")
    reclass_min_count: int = Field(4, description="reclassified dispatches in the last hour a channel needs before "
                                                  "reclassification fires")
    reclass_min_ratio: float = Field(2.0, ge=0.0, description="a reclassification test fires only while the "
                                     "share it watches, over the last hour, is at least this many "
                                     "times its usual share: at a large province's volume (400-1,600 dispatches "
                                     "an hour on a channel) the CUSUMs also reach their thresholds on shares 1.1-1.5 "
                                     "times the usual, which no duty manager can act on (0 = off)")
    min_share_at_risk: float = Field(0.15, description="share of a scope's open orders (short deadlines) past half "
                                                       "their deadline below which a busy scope is not lagging: "
                                                       "a morning peak raises counts, not the share")
    lag_pace_minutes: int = Field(15, ge=0, le=59, description="a department's dispatch or feedback lag does not "
                                  "start a new yellow alert while the stage's open orders have not grown over this many "
                                  "minutes and it cleared lag_pace_min_closed or more meanwhile: its queue is draining, "
                                  "the late orders are a burst working off at a desk or crews that keep their pace (a "
                                  "one-clerk repair desk's evening peak), not a desk or crew that stopped or slowed "
                                  "(their queue grows). A firing alert stays; orange_orders past 90 % are news whatever "
                                  "the pace; a region is not gated, but stays quiet when such a department holds 80 % of "
                                  "its late orders (as for the department's own alert); 0 = off")
    lag_stray_share: float = Field(0.05, ge=0.0, lt=1.0, description="a department's take and feedback lag are "
                                   "judged on its own work: orders of a category below this share of the orders it "
                                   "has taken (fault repairs misrouted to a marketing or metering desk: 0.1-0.5 % of "
                                   "its takes, 99 % of a repair desk's; consultations at a repair desk) do not count "
                                   "toward its tier; each has its own order alert, and the alert names them when it "
                                   "fires. Needs the stall watch (0 = off)")
    lag_pace_min_closed: int = Field(3, ge=1, description="orders the stage must have cleared in lag_pace_minutes for "
                                     "its pace to count as kept")
    forecast_enabled: bool = Field(False, description="raise breach_forecast from the queueing view "
                                                      "(detectors/forecast.py)")
    forecast_min_orders: int = Field(4, description="queues smaller than this are never forecast to breach")
    forecast_horizon_share: float = Field(1.0, description="queue view (evidence): clearing time vs this share "
                                                           "of the stage's mean deadline")
    forecast_min_normal_done: float = Field(4.0, description="orders entering the stage in 15 min needed before "
                                                             "a stall is judged")
    forecast_stall_share: float = Field(0.2, description="completions in the last 15 min at or below this share "
                                                         "of the orders that entered, with a queue, forecast breaches")
    outage_customers: int = Field(100, description="customers a fault report must say are affected "
                                                   "(affected_customers) to be a report of a large outage")
    outage_reports: int = Field(3, description="reports of a large outage in a region within 30 min that raise "
                                               "arrival_surge at once, day or night (0 = off)")
    lag_hourly: bool = Field(True, description="a scope's lag threshold is at least what the same hour of the day "
                                               "brought on earlier days (a desk that is this pressed every "
                                               "morning peak is not news)")
    lag_province_rise: Literal["off", "cold", "always"] = Field(
        "always", description="a scope's lag threshold rises with the rest of the province: times how far the "
        "order-minutes at risk of the other regions stand above their recent normal now (a morning peak every "
        "region shares is no evidence against one). 'cold': only while the scope's hour-of-day view "
        "(lag_hourly) has not seen this hour yet — a stream's first morning; 'always': also after (the hour-of-day "
        "view knows a day or two: a second morning busier everywhere than the first is no news either; at --k 8 "
        "5 fewer false alarms of 20, no detection or lead lost, public-1/2 unchanged); 'off'")
    lag_province_rise_scopes: list[str] = Field(["region", "department"], description="the scope kinds whose "
                                                "lag threshold lag_province_rise raises (a department's first "
                                                "morning peak is the province's too: 6 of the generalisation "
                                                "streams' 26 false alarms at --k 8 were repair departments at 07-11 h "
                                                "on day one)")
    lag_province_rise_level_scopes: list[str] = Field(["department"], description="the scope kinds of "
                                                      "lag_province_rise_scopes whose normal *level* the rest of the "
                                                      "province's rise scales (mean x f, spread x sqrt(f), as a "
                                                      "count's whose rate rose) instead of the whole threshold x f: "
                                                      "a department's few orders are noisy, and x f on its spread "
                                                      "hid public-1's slowed repair desk")
    lag_province_rise_max: float = Field(4.0, ge=1.0, description="the most the rest of the province's rise may "
                                         "raise a scope's lag threshold (x)")
    topic_province_floor: bool = Field(True, description="topic_surge tests a region's share against at least the "
                                                         "province's share of the last hour (a rise every region "
                                                         "shares, like an angrier afternoon, is no evidence)")
    stall_min_orders: int = Field(3, description="open checks of a department waiting past its habit (and nothing "
                                                 "completed meanwhile) that raise breach_forecast: the department "
                                                 "has stopped taking or finishing orders (0 = off; detectors/stall.py)")
    stall_quantile: float = Field(0.99, description="the department's habit: this quantile of its recent completion "
                                                    "times, per check and category")
    stall_factor: float = Field(1.5, description="a check is overdue by habit past max(factor x habit, habit + "
                                                 "stall_margin_min)")
    stall_margin_min: float = Field(3.0, description="... (minutes)")
    stall_min_habit: int = Field(20, description="completions a department's habit needs before it is used "
                                                 "(before that: the province's habit for the check and category)")
    stall_take_min_orders: int = Field(4, description="open checks overdue by the habit of *takes* alone (orders "
                                       "the department sent back not learned: returns take 10-20 min where takes "
                                       "take 2-3, and set the 99th percentile of a desk that returns one in "
                                       "fifteen) that raise breach_forecast too; one more than stall_min_orders, "
                                       "as past that habit an order is still open by chance ~3 % of the time "
                                       "rather than 1 % (0 = off)")
    stall_take_own_min_orders: int = Field(3, description="... or this many overdue by the department's *own* "
                                           "habit of takes (not the province's, borrowed while it is young: it "
                                           "mixes desks of other paces) (0 = off)")
    stall_return_share: float = Field(0.5, ge=0.0, le=1.0, description="in the test of takes, open checks of a "
                                      "category the department mostly sends back (more than this share of its "
                                      "recent ones left for another department) do not count: under review for "
                                      "return (1 = all count)")
    stall_category_min: int = Field(20, ge=0, description="on a crew's arrival (a check whose completion "
                                    "needs what the desk has), a department with stall_min_habit completions (all "
                                    "checks) is judged on a category only with this many completions of its own, "
                                    "moves back not counted (a fault repair misrouted to a marketing desk is a "
                                    "stray there, not a sign that the desk stopped; 0 = off)")
    stall_active_within_min: float = Field(240.0, ge=0.0, description="a stall needs a completion of the check "
                                           "this many minutes before the oldest waiting order came, unless the "
                                           "department is young (a desk that finishes a stray now and then "
                                           "has not stopped; 0 = off)")
    receive_wait_threshold: float = Field(6.0, description="evidence (Gaussian CUSUM log-likelihood ratio) that "
                                          "the orders a region accepts have waited longer than its habit, one "
                                          "after another (detectors/receive_wait.py), from which a region's "
                                          "sequential receive lag test may turn yellow at receive_wait_lag_share "
                                          "of its threshold: the desks have lost agents, the queue will reach the "
                                          "deadlines (0 = off)")
    receive_wait_shift: float = Field(1.0, description="the rise of the log-wait the receive-wait test looks for, "
                                      "in deviations of the region's habit")
    receive_wait_lag_share: float = Field(0.5, description="share of lag_cusum_threshold the region's receive lag "
                                          "test needs when the receive waits back it")
    receive_wait_max_lift: float = Field(1.1, description="the receive waits back the lag test only while the "
                                         "region's new orders of the last 30 min are at most this x its usual "
                                         "share of the province's (plus two Poisson deviations): a queue of a "
                                         "burst of customers is not lost capacity")
    receive_wait_alone: float = Field(15.0, ge=0, description="evidence of the receive-wait test (detectors/receive_wait.py) "
                                      "at which it turns the region's receive lag yellow on its own, without the "
                                      "sequential lag test: a desk that lost capacity slowly (gradual drift) falls "
                                      "behind for hours while too few orders near their deadlines at once for the "
                                      "lag test; needs the other conditions of receive_wait_threshold, the evidence "
                                      "behind for receive_wait_alone_min and an order past 75 % of its deadline now "
                                      "(0 = off)")
    receive_wait_alone_min: float = Field(120.0, ge=0, description="minutes the receive-wait evidence must have "
                                          "stood at receive_wait_threshold or more (not below half of it since) "
                                          "before receive_wait_alone may fire: lost capacity keeps the desk behind "
                                          "for hours, the queue of a burst of customers clears sooner where orders "
                                          "come every minute (60 min let a quiet night desk fire on the "
                                          "generalisation streams)")
    receive_wait_alone_gap_min: float = Field(30.0, gt=0, description="minutes with no order of the region "
                                              "accepted after which its receive-wait evidence is old news: the "
                                              "behind clock of receive_wait_alone_min stops and starts again at the "
                                              "next slow wait (a quiet night desk whose last orders were slow is "
                                              "not behind for the hours nobody calls)")
    receive_wait_warmup_h: float = Field(24.0, description="hours a region's receive waits must have been "
                                         "watched before they may back its lag test (its habit has seen every "
                                         "hour of the day once)")
    staffing_evidence: float = Field(3.0, ge=0, description="evidence (detectors/staffing.py: -log10 of the chance "
                                     "that so few distinct agents accept so many of a region's orders in a clock hour, "
                                     "were they handed at random to the agents the same hour of an earlier day had) "
                                     "from which a region's sequential receive lag test may turn yellow at "
                                     "receive_wait_lag_share of its threshold: the desk has lost agents before its "
                                     "queue shows it (0 = off; needs agent_id on accepted events)")
    staffing_alone: float = Field(3.0, ge=0, description="evidence of the staffing watch at which it turns the "
                                  "region's receive lag yellow on its own, without the sequential lag test, once an "
                                  "order of the region is past 75 % of its deadline: agents are missing beyond "
                                  "chance and the desk has begun to fall behind (a slowly shrinking shift rarely "
                                  "has enough orders near their deadlines at once for the lag test; 0 = off)")
    staffing_arrivals_floor: float = Field(0.8, ge=0, description="an hour is judged by the staffing watch only "
                                           "with at least this share of the orders its habit hour had (prorated to "
                                           "the part of the hour gone): fewer agents for fewer customers is the plan")
    staffing_min_orders: int = Field(10, ge=1, description="orders a region must have accepted in the hour (from its "
                                     "tenth minute) before the staffing watch judges it: a few orders handed out "
                                     "at random often miss several agents")
    staffing_recent_ref_min: float = Field(30.0, ge=0, description="the staffing watch's recent test (0 = off; the "
                                           "watch is on while staffing_evidence is above 0): the distinct agents "
                                           "accepting a region's orders in the last few minutes (staffing_recent_windows) "
                                           "against those of this many minutes before them, or of the same clock hour of "
                                           "the last earlier day of its kind if that had fewer (a shift planned smaller). "
                                           "A desk cut mid-hour shows it within minutes, where the clock hour still "
                                           "counts the agents who left. Evidence: -log10 of the chance under random "
                                           "hand-out, less log10 of the number of windows scanned; at "
                                           "staffing_evidence it backs the sequential lag test as the hourly count does")
    staffing_recent_windows: list[float] = Field([6.0, 8.0, 10.0, 12.0, 15.0, 20.0], description="the recent "
                                                 "test's windows (minutes), each ending now")
    staffing_recent_long_windows: list[float] = Field([30.0, 45.0, 60.0], description="the recent test's long "
                                                      "windows (minutes, each ending now; [] = none): a quiet desk "
                                                      "(an order every two or three minutes, three agents cut to one) "
                                                      "has too few orders in 20 minutes to say it, yet its queue takes "
                                                      "an hour or more to breach. Each pays log10 of all windows "
                                                      "scanned, the short ones log10 of theirs as before, so no short "
                                                      "window's verdict changes")
    staffing_recent_share: float = Field(0.5, gt=0, le=1, description="the recent test judges only a desk down to "
                                         "at most this share of the reference's agents: an hour's planned change "
                                         "(a quarter fewer in the evening) is no cut")
    staffing_recent_min_orders: int = Field(5, ge=1, description="orders accepted in a window before the recent "
                                            "test judges it")
    staffing_recent_min_gone: int = Field(2, ge=1, description="agents of the reference who must be missing from a "
                                          "window before the recent test judges it: a rota changes by one agent at a "
                                          "time, so a desk of two going to one at a night's shift change is the plan "
                                          "(with the long windows such desks read as cuts 13 times on 22 streams); a "
                                          "cut takes 60-80 % of a desk of three or more")
    staffing_recent_alone: float = Field(3.5, ge=0, description="evidence of the recent test at which it turns the "
                                         "region's receive lag yellow on its own (held hold_minutes): half the desk "
                                         "or more gone within the last minutes with as many customers coming — a desk "
                                         "planned at 40 % load is then at 80 % or more and its queue only grows from "
                                         "here. Above staffing_evidence because the test looks every minute: agents "
                                         "drawn at random from a fixed pool (public-1/2's model) reach 3 about once "
                                         "in 13 region-days, 3.5 once in 80 (0 = off)")
    staffing_recent_orders: int = Field(0, ge=0, description="orders of the region past half their receive deadline "
                                        "that staffing_recent_alone also needs (0: none — a desk cut to a third "
                                        "with moderate load shows few for half an hour, yet breaches)")
    desk_share_alone: float = Field(0.4, ge=0, description="evidence of the desk-share watch (detectors/desk_share.py: "
                                    "a CUSUM of how far a region's share of the province's distinct receive agents per "
                                    "clock hour stands below its level learned over its first judged hours, beyond what "
                                    "its share of orders fell) at which, with an order of the region past 75 % of its "
                                    "deadline, the region's receive lag turns yellow: a desk shrinking hour by hour, "
                                    "seen on the first day, before any earlier day of the same kind or a day of waits "
                                    "exists (0 = off; needs agent_id on accepted events)")
    desk_share_allowance: float = Field(0.1, ge=0, description="the fall of a region's log agent share per hour that "
                                        "is no evidence for the desk-share watch (one agent of four or five in a "
                                        "shift's rounding)")
    desk_share_below: float = Field(0.2, ge=0, description="how far below its level (log share, less the fall of "
                                    "its order share) a region's agent share must stand in its last judged hour, and "
                                    "in the current hour once it has desk_share_min_orders orders, for the desk-share "
                                    "evidence to count: a desk whose agents are back is news no more, whatever its "
                                    "sum (the tail of an incident, its backlog still being cleared)")
    desk_share_min_orders: int = Field(20, ge=1, description="orders a region, and the rest of the province, must have "
                                       "accepted in a clock hour (from its tenth minute) before the desk-share watch "
                                       "judges the hour: a night hour's few orders show few agents by chance")
    work_threshold: float = Field(4.5, description="evidence of the on-site alarm test (detectors/work.py: a "
                                  "Poisson CUSUM of completions at work_alarm_ratio x the department's habit against "
                                  "work_alarm_null x) at which breach_forecast (feedback) fires: its crews are at a "
                                  "standstill on site, tied up now, and the next reports' crews will come late "
                                  "(0 = off). The plain slower-than-habit test at 11 found 4 of 5 slowed departments of "
                                  "the generalisation streams but fired on public-1's slower evening (jobs 1.3-1.5 x as "
                                  "long); this one at 4.5, held work_hold_minutes, found 5 of 5 and public-1/2's with no "
                                  "false alarm there")
    work_alarm_ratio: float = Field(0.1, gt=0, description="the alarm test's alternative: jobs finishing at this share "
                                    "of the rate the department's habit gives jobs of their age (repairs taking 3-5 x "
                                    "as long leave < 1 % finishing within the habit's usual span)")
    work_alarm_null: float = Field(0.6, gt=0, description="the alarm test's null: completions down to this share of "
                                   "the habit's rate are still a calm (if slow) evening, no evidence of a standstill")
    work_hold_minutes: int = Field(10, ge=1, description="the alarm test must be above work_threshold in most of "
                                   "this many minutes before breach_forecast fires (three finishes in a row after a "
                                   "lull reset a chance run; a standstill's evidence keeps growing)")
    work_rise_exempt: float = Field(11.0, description="evidence of the on-site slower-than-habit test "
                                    "(detectors/work.py, a Poisson CUSUM at work_rate_ratio) from which a department is "
                                    "judged without the province's rise on its feedback stage: its crews finish "
                                    "slower than their habit, so its arrival lag is its own, not the province's "
                                    "busy first morning (gen-2's slowed repair desk); 0 = off. This is the plain "
                                    "slower-than-habit test (work_rate_ratio), not the alarm test of work_threshold")
    work_rate_ratio: float = Field(0.25, description="the slowdown the on-site test looks for: jobs finishing at "
                                   "this share of the rate the department's habit gives jobs of their age")
    work_window: float = Field(0.75, description="quantile of a department's on-site durations up to which a "
                               "job's age is tested: older jobs are long ones (every department has some; their "
                               "correlated tails, like one outage's reports, made ordinary departments look slow)")
    work_min_orders: int = Field(3, description="jobs on site longer than the department's median duration "
                                 "that the on-site slowdown verdict needs")
    work_min_habit: int = Field(30, description="on-site durations a department's habit needs before it is used "
                                "(before that: the province's)")
    work_forget: float = Field(2.0, description="jobs on site longer than this x the habit's 99th-percentile "
                               "duration leave the on-site test (a job nobody reported done)")
    anomaly_alerts: bool = Field(False, description="raise `anomaly` alerts from the seasonal series detector "
                                                    "(detectors/anomaly.py) on each region's arrivals, backlog "
                                                    "and order-minutes at risk; its scores always reach the board")
    anomaly_alert_score: float = Field(0.8, description="anomaly score at which an `anomaly` alert fires")
    lag_min_tier: str = Field("yellow", description="lowest tier of a scope lag alert; blue-level pressure shows on "
                                                    "the board only")
    yellow_orders: int = Field(3, description="orders past 75 % of their deadline that make a scope lag alert yellow")
    orange_orders: int = Field(4, description="orders past 90 % that make it orange")
    red_orders: int = Field(6, description="overdue orders that make it red")
    warmup_ticks: int = Field(120, description="ticks a scope's baseline learns before its detectors may fire")
    hold_minutes: int = Field(5, description="a scope condition must hold this long before it fires")
    sequential_hold_minutes: int = Field(1, description="... a sequential test's (reclassification, topic_surge): "
                                                        "its CUSUM has weighed the evidence over time already, so "
                                                        "it fires at the first minute past its threshold")
    clear_minutes: int = Field(20, description="... and stay clear this long before it resolves")

    @model_validator(mode="after")
    def _settings_that_can_act(self) -> "ScopeRulesConfig":
        """Pairs of settings that would otherwise fail later (in a worker) or never fire, refused at load."""
        if self.work_alarm_ratio >= self.work_alarm_null:
            raise ValueError("work_alarm_ratio must be below work_alarm_null (the alarm's alternative is the slower rate)")
        if any(w <= 0 for w in self.staffing_recent_windows + self.staffing_recent_long_windows):
            raise ValueError("staffing_recent_windows are minutes, each above 0")
        if self.receive_wait_threshold > 0 and self.receive_wait_alone > 3 * self.receive_wait_threshold:
            raise ValueError("receive_wait_alone above 3 x receive_wait_threshold can never fire "
                             "(the receive-wait evidence is capped there)")
        return self


class DetectorsConfig(BaseModel):
    """Detector settings."""

    risk: RiskConfig = RiskConfig()
    order_tiers: OrderTierConfig = OrderTierConfig()
    scope: ScopeRulesConfig = ScopeRulesConfig()
