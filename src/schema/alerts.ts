import { ALERT_SEVERITIES, ALERT_STATUSES, type Alert } from '../alerts/model.js';
import { builder } from './builder.js';

export const AlertSeverityEnum = builder.enumType('AlertSeverity', { values: ALERT_SEVERITIES });
const AlertStatusEnum = builder.enumType('AlertStatus', { values: ALERT_STATUSES });

const AlertRef = builder.objectRef<Alert>('Alert').implement({
  description: 'An alert and where it is in its lifecycle: OPEN, ACKNOWLEDGED, RESOLVED.',
  fields: (t) => ({
    id: t.exposeID('id'),
    channel: t.exposeString('channel'),
    severity: t.expose('severity', { type: AlertSeverityEnum }),
    status: t.expose('status', { type: AlertStatusEnum }),
    title: t.exposeString('title'),
    details: t.field({ type: 'JSON', nullable: true, resolve: (a) => a.details }),
    source: t.exposeString('source', { nullable: true }),
    dedupKey: t.exposeString('dedupKey', { nullable: true }),
    count: t.exposeInt('count', { description: 'Occurrences: raising its dedupKey again while it is not resolved counts one more.' }),
    raisedAt: t.expose('raisedAt', { type: 'DateTime' }),
    lastRaisedAt: t.expose('lastRaisedAt', { type: 'DateTime' }),
    raisedBy: t.exposeString('raisedBy'),
    acknowledgedAt: t.expose('acknowledgedAt', { type: 'DateTime', nullable: true }),
    acknowledgedBy: t.exposeString('acknowledgedBy', { nullable: true }),
    acknowledgeNote: t.exposeString('acknowledgeNote', { nullable: true }),
    resolvedAt: t.expose('resolvedAt', { type: 'DateTime', nullable: true }),
    resolvedBy: t.exposeString('resolvedBy', { nullable: true }),
    resolveNote: t.exposeString('resolveNote', { nullable: true }),
  }),
});

const RaiseAlertInput = builder.inputType('RaiseAlertInput', {
  fields: (t) => ({
    channel: t.string({ description: 'Default "alerts".' }),
    severity: t.field({ type: AlertSeverityEnum, required: true }),
    title: t.string({ required: true }),
    details: t.field({ type: 'JSON' }),
    source: t.string(),
    dedupKey: t.string({ description: 'While an alert of the channel with this key is not resolved, raising it again counts one more occurrence of that alert.' }),
  }),
});

builder.queryFields((t) => ({
  alerts: t.field({
    type: [AlertRef],
    description: 'Alerts of the channels the caller may read, newest first. Page with `after` (the last id seen).',
    args: { status: t.arg({ type: AlertStatusEnum }), severity: t.arg({ type: AlertSeverityEnum }), first: t.arg.int({ defaultValue: 50 }), after: t.arg.id() },
    resolve: (_r, args, ctx) => ctx.services.alerts.list(ctx.principal, { ...args, after: args.after == null ? args.after : String(args.after) }),
  }),
  alert: t.field({
    type: AlertRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => ctx.services.alerts.get(ctx.principal, String(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  raiseAlert: t.field({
    type: AlertRef,
    description: 'Raises an alert (needs the right to publish on its channel); announced as alert.raised on the channel.',
    args: { input: t.arg({ type: RaiseAlertInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.alerts.raise(ctx.principal, input),
  }),
  acknowledgeAlert: t.field({
    type: AlertRef,
    description: 'Marks an alert as being handled (needs alerts:ack); again is a no-op; a resolved alert is CONFLICT.',
    args: { id: t.arg.id({ required: true }), note: t.arg.string() },
    resolve: (_r, args, ctx) => ctx.services.alerts.acknowledge(ctx.principal, { id: String(args.id), note: args.note }),
  }),
  resolveAlert: t.field({
    type: AlertRef,
    description: 'Marks an alert resolved (needs alerts:ack); again is a no-op.',
    args: { id: t.arg.id({ required: true }), note: t.arg.string() },
    resolve: (_r, args, ctx) => ctx.services.alerts.resolve(ctx.principal, { id: String(args.id), note: args.note }),
  }),
}));
