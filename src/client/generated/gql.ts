/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation Disconnect($connectionId: ID!, $reason: String) {\n  disconnect(connectionId: $connectionId, reason: $reason)\n}": typeof types.DisconnectDocument,
    "query CliEndpoints {\n  cliEndpoints {\n    id\n    name\n    ownerId\n    callbackUrl\n    repositories\n    clientVersion\n    createdAt\n    healthy\n    lastHealthCheckAt\n    breakerState\n    consecutiveFailures\n    delivered\n    failed\n    fallback\n  }\n}": typeof types.CliEndpointsDocument,
    "query EventsCursor {\n  eventsCursor\n}": typeof types.EventsCursorDocument,
    "mutation NotifyConnection($connectionId: ID!, $message: String!) {\n  notifyConnection(connectionId: $connectionId, message: $message)\n}": typeof types.NotifyConnectionDocument,
    "mutation SetAlertThreshold($input: SetAlertThresholdInput!) {\n  setAlertThreshold(input: $input) {\n    ...AlertThresholdFields\n  }\n}": typeof types.SetAlertThresholdDocument,
    "query Stats {\n  stats {\n    instanceId\n    mode\n    startedAt\n    uptimeSeconds\n    connections\n    subscriptions\n    eventsPublished\n    eventsDelivered\n    slowConsumerDisconnects\n    gateways {\n      gateways\n      eventsSent\n      failedDeliveries\n    }\n    push {\n      pushing\n      endpoints\n      delivered\n      failed\n      successRate\n    }\n    cluster {\n      connections\n      subscriptions\n      eventsPublished\n      eventsDelivered\n      instances {\n        instanceId\n        mode\n        startedAt\n        reportedAt\n        uptimeSeconds\n        connections\n        subscriptions\n        eventsPublished\n        eventsDelivered\n        gatewayEventsSent\n        gatewaySendFailures\n        slowConsumerDisconnects\n      }\n    }\n  }\n}": typeof types.StatsDocument,
    "query ConnectionDiagnostics($connectionId: ID!) {\n  connectionDiagnostics(connectionId: $connectionId) {\n    connectionId\n    instanceId\n    open\n    remoteAddress\n    principalId\n    clientName\n    connectedAt\n    closedAt\n    closeCode\n    closeReason\n    healthScore\n    heartbeatRttMs\n    subscriptions\n    eventsSent\n    eventsDropped\n    timeline {\n      at\n      kind\n      detail\n    }\n    deliveries {\n      at\n      eventId\n      type\n      topic\n      latencyMs\n    }\n    pongs {\n      at\n      rttMs\n    }\n  }\n}": typeof types.ConnectionDiagnosticsDocument,
    "query Alert($id: ID!) {\n  alert(id: $id) {\n    ...AlertFields\n  }\n}": typeof types.AlertDocument,
    "query Deployment($correlationId: String!) {\n  deployment(correlationId: $correlationId) {\n    ...DeploymentStatusFields\n  }\n}": typeof types.DeploymentDocument,
    "mutation PublishEvents($inputs: [PublishEventInput!]!, $idempotencyKey: String) {\n  publishEvents(inputs: $inputs, idempotencyKey: $idempotencyKey) {\n    ...ChannelEventFields\n  }\n}": typeof types.PublishEventsDocument,
    "query GatewayKeys($gatewayId: ID!) {\n  gatewayKeys(gatewayId: $gatewayId) {\n    id\n    createdAt\n    lastUsedAt\n    revokedAt\n  }\n}": typeof types.GatewayKeysDocument,
    "query Alerts($status: AlertStatus, $severity: AlertSeverity, $first: Int, $after: ID) {\n  alerts(status: $status, severity: $severity, first: $first, after: $after) {\n    ...AlertFields\n  }\n}": typeof types.AlertsDocument,
    "query RateLimits {\n  rateLimits {\n    ...RateLimitFields\n  }\n}": typeof types.RateLimitsDocument,
    "mutation UpdateTask($id: ID!, $input: UpdateTaskInput!) {\n  updateTask(id: $id, input: $input) {\n    ...TaskFields\n  }\n}": typeof types.UpdateTaskDocument,
    "subscription ChannelEvents($channels: [String!]!, $after: String, $minPriority: Priority, $types: [String!], $where: JSON, $order: EventOrder) {\n  channelEvents(\n    channels: $channels\n    after: $after\n    minPriority: $minPriority\n    types: $types\n    where: $where\n    order: $order\n  ) {\n    ...ChannelEventFields\n  }\n}": typeof types.ChannelEventsDocument,
    "mutation DeleteGateway($id: ID!) {\n  deleteGateway(id: $id)\n}": typeof types.DeleteGatewayDocument,
    "fragment DeploymentStatusFields on DeploymentStatus {\n  id\n  kind\n  correlationId\n  publishedAt\n  acknowledged\n  targets {\n    gatewayId\n    eventId\n    status\n    acknowledgedAt\n    overdue\n  }\n}": typeof types.DeploymentStatusFieldsFragmentDoc,
    "query Gateways {\n  gateways {\n    ...GatewayFields\n  }\n}": typeof types.GatewaysDocument,
    "fragment ConnectionFields on Connection {\n  id\n  instanceId\n  remoteAddress\n  connectedAt\n  lastHeartbeatAt\n  heartbeatRttMs\n  principalId\n  principalKind\n  clientName\n  clientVersion\n  gatewayId\n  subscriptions\n  eventsSent\n  eventsDropped\n  healthScore\n}": typeof types.ConnectionFieldsFragmentDoc,
    "mutation ResolveAlert($id: ID!, $note: String) {\n  resolveAlert(id: $id, note: $note) {\n    ...AlertFields\n  }\n}": typeof types.ResolveAlertDocument,
    "mutation UndeployApi($input: UndeployApiInput!) {\n  undeployApi(input: $input) {\n    id\n    apiId\n    correlationId\n    targets {\n      ...GatewayDeliveryFields\n    }\n  }\n}": typeof types.UndeployApiDocument,
    "mutation RegisterGateway($input: RegisterGatewayInput!) {\n  registerGateway(input: $input) {\n    apiKey\n    keyId\n    gateway {\n      ...GatewayFields\n    }\n  }\n}": typeof types.RegisterGatewayDocument,
    "subscription CliNotifications($registrationId: ID, $after: String) {\n  cliNotifications(registrationId: $registrationId, after: $after) {\n    id\n    cursor\n    reason\n    event {\n      ...EventFields\n    }\n  }\n}": typeof types.CliNotificationsDocument,
    "mutation Broadcast($message: String!) {\n  broadcast(message: $message)\n}": typeof types.BroadcastDocument,
    "fragment AlertThresholdFields on AlertThreshold {\n  name\n  raise\n  clear\n  severity\n  enabled\n  source\n}": typeof types.AlertThresholdFieldsFragmentDoc,
    "query ApiKeys {\n  apiKeys {\n    ...ApiKeyFields\n  }\n}": typeof types.ApiKeysDocument,
    "subscription TaskEvents($repositories: [String!]!, $after: String, $minPriority: Priority) {\n  taskEvents(\n    repositories: $repositories\n    after: $after\n    minPriority: $minPriority\n  ) {\n    id\n    type\n    taskId\n    repository\n    changedBy\n    timestamp\n    sequence\n    cursor\n    priority\n    task {\n      ...TaskFields\n    }\n  }\n}": typeof types.TaskEventsDocument,
    "mutation RegisterCli($input: RegisterCliInput!) {\n  registerCli(input: $input) {\n    id\n    secret\n    callbackUrl\n    repositories\n    clientVersion\n    name\n    createdAt\n  }\n}": typeof types.RegisterCliDocument,
    "fragment TaskFields on Task {\n  id\n  repository\n  title\n  description\n  status\n  assignee\n  createdAt\n  updatedAt\n}": typeof types.TaskFieldsFragmentDoc,
    "subscription ServerStatsUpdates($intervalMs: Int) {\n  serverStatsUpdates(intervalMs: $intervalMs) {\n    instanceId\n    sampledAt\n    mode\n    cluster {\n      connections\n      subscriptions\n    }\n    connectionsByKind {\n      kind\n      connections\n    }\n    traffic {\n      windowSeconds\n      connectsPerSecond\n      disconnectsPerSecond\n      publishedPerSecond\n      deliveredPerSecond\n      latencyP50Ms\n      latencyP99Ms\n      rateLimitRefusalsPerSecond\n      slowConsumerDisconnectsPerSecond\n      eventsDroppedPerSecond\n    }\n  }\n}": typeof types.ServerStatsUpdatesDocument,
    "query Channels {\n  channels {\n    ...ChannelFields\n  }\n}": typeof types.ChannelsDocument,
    "fragment AlertFields on Alert {\n  id\n  channel\n  severity\n  status\n  title\n  details\n  source\n  dedupKey\n  count\n  raisedAt\n  raisedBy\n  lastRaisedAt\n  acknowledgedAt\n  acknowledgedBy\n  acknowledgeNote\n  resolvedAt\n  resolvedBy\n  resolveNote\n}": typeof types.AlertFieldsFragmentDoc,
    "mutation DefineChannel($input: DefineChannelInput!) {\n  defineChannel(input: $input) {\n    ...ChannelFields\n  }\n}": typeof types.DefineChannelDocument,
    "mutation AcknowledgeGatewayEvent($eventId: ID!) {\n  acknowledgeGatewayEvent(eventId: $eventId) {\n    ...DeploymentStatusFields\n  }\n}": typeof types.AcknowledgeGatewayEventDocument,
    "query Viewer {\n  viewer {\n    kind\n    id\n    console\n  }\n}": typeof types.ViewerDocument,
    "subscription GatewayEvents($after: String, $gatewayId: ID, $minPriority: Priority, $types: [GatewayEventType!]) {\n  gatewayEvents(\n    after: $after\n    gatewayId: $gatewayId\n    minPriority: $minPriority\n    types: $types\n  ) {\n    id\n    type\n    gatewayId\n    timestamp\n    correlationId\n    priority\n    sequence\n    cursor\n    payload {\n      __typename\n      ... on ApiDeployed {\n        apiId\n        revisionId\n        vhost\n        deploymentId\n      }\n      ... on ApiUndeployed {\n        apiId\n        deploymentId\n      }\n      ... on GatewayConfigUpdated {\n        version\n        config\n      }\n    }\n  }\n}": typeof types.GatewayEventsDocument,
    "mutation RevokeApiKey($id: ID!) {\n  revokeApiKey(id: $id) {\n    ...ApiKeyFields\n  }\n}": typeof types.RevokeApiKeyDocument,
    "mutation DeleteTask($id: ID!, $input: DeleteTaskInput) {\n  deleteTask(id: $id, input: $input) {\n    ...TaskFields\n  }\n}": typeof types.DeleteTaskDocument,
    "mutation PublishEvent($input: PublishEventInput!) {\n  publishEvent(input: $input) {\n    ...ChannelEventFields\n  }\n}": typeof types.PublishEventDocument,
    "mutation CreateApiKey($input: CreateApiKeyInput!) {\n  createApiKey(input: $input) {\n    secret\n    apiKey {\n      ...ApiKeyFields\n    }\n  }\n}": typeof types.CreateApiKeyDocument,
    "query Gateway($id: ID!) {\n  gateway(id: $id) {\n    ...GatewayFields\n    connections {\n      ...ConnectionFields\n    }\n  }\n}": typeof types.GatewayDocument,
    "mutation UpdateGatewayConfig($input: UpdateGatewayConfigInput!) {\n  updateGatewayConfig(input: $input) {\n    gatewayId\n    version\n    correlationId\n    targets {\n      ...GatewayDeliveryFields\n    }\n  }\n}": typeof types.UpdateGatewayConfigDocument,
    "query Events($topics: [String!]!, $after: String, $limit: Int) {\n  events(topics: $topics, after: $after, limit: $limit) {\n    events {\n      ...EventFields\n    }\n    cursor\n    hasMore\n  }\n}": typeof types.EventsDocument,
    "mutation RotateGatewayKey($gatewayId: ID!) {\n  rotateGatewayKey(gatewayId: $gatewayId) {\n    apiKey\n    keyId\n    gateway {\n      ...GatewayFields\n    }\n  }\n}": typeof types.RotateGatewayKeyDocument,
    "mutation DeregisterCli($id: ID!) {\n  deregisterCli(id: $id)\n}": typeof types.DeregisterCliDocument,
    "query Connections($after: ID, $filter: ConnectionFilter, $first: Int) {\n  connections(after: $after, filter: $filter, first: $first) {\n    ...ConnectionFields\n  }\n}": typeof types.ConnectionsDocument,
    "fragment ApiKeyFields on ApiKey {\n  id\n  name\n  scopes\n  createdAt\n  revokedAt\n}": typeof types.ApiKeyFieldsFragmentDoc,
    "fragment ChannelFields on Channel {\n  name\n  description\n  source\n  defaultPriority\n  maxPayloadBytes\n  retentionCount\n  retentionSeconds\n  batchWindowMs\n  types {\n    name\n    schema\n    schemaVersion\n  }\n}": typeof types.ChannelFieldsFragmentDoc,
    "subscription SystemMessages {\n  systemMessages {\n    id\n    kind\n    message\n    timestamp\n  }\n}": typeof types.SystemMessagesDocument,
    "mutation RevokeGatewayKey($gatewayId: ID!, $keyId: ID) {\n  revokeGatewayKey(gatewayId: $gatewayId, keyId: $keyId) {\n    ...GatewayFields\n  }\n}": typeof types.RevokeGatewayKeyDocument,
    "mutation DeleteChannel($name: String!) {\n  deleteChannel(name: $name)\n}": typeof types.DeleteChannelDocument,
    "query Task($id: ID!) {\n  task(id: $id) {\n    ...TaskFields\n  }\n}": typeof types.TaskDocument,
    "subscription ChannelEventBatches($channels: [String!]!, $after: String, $minPriority: Priority, $types: [String!], $where: JSON, $maxBatch: Int, $maxDelayMs: Int) {\n  channelEventBatches(\n    channels: $channels\n    after: $after\n    minPriority: $minPriority\n    types: $types\n    where: $where\n    maxBatch: $maxBatch\n    maxDelayMs: $maxDelayMs\n  ) {\n    ...ChannelEventFields\n  }\n}": typeof types.ChannelEventBatchesDocument,
    "fragment EventFields on Event {\n  id\n  type\n  topic\n  sequence\n  cursor\n  timestamp\n  priority\n  correlationId\n  expiresAt\n  source\n  schemaVersion\n  payload\n}": typeof types.EventFieldsFragmentDoc,
    "fragment ChannelEventFields on ChannelEvent {\n  id\n  channel\n  type\n  sequence\n  cursor\n  timestamp\n  priority\n  correlationId\n  expiresAt\n  source\n  schemaVersion\n  payload\n}": typeof types.ChannelEventFieldsFragmentDoc,
    "mutation RaiseAlert($input: RaiseAlertInput!) {\n  raiseAlert(input: $input) {\n    ...AlertFields\n  }\n}": typeof types.RaiseAlertDocument,
    "mutation CreateTask($input: CreateTaskInput!) {\n  createTask(input: $input) {\n    ...TaskFields\n  }\n}": typeof types.CreateTaskDocument,
    "fragment RateLimitFields on RateLimit {\n  field\n  max\n  windowSeconds\n  burst\n  source\n}": typeof types.RateLimitFieldsFragmentDoc,
    "query AlertThresholds {\n  alertThresholds {\n    ...AlertThresholdFields\n  }\n}": typeof types.AlertThresholdsDocument,
    "mutation SetRateLimit($input: SetRateLimitInput!) {\n  setRateLimit(input: $input) {\n    ...RateLimitFields\n  }\n}": typeof types.SetRateLimitDocument,
    "mutation DeployApiRevision($input: DeployApiRevisionInput!) {\n  deployApiRevision(input: $input) {\n    id\n    apiId\n    revisionId\n    vhost\n    correlationId\n    targets {\n      ...GatewayDeliveryFields\n    }\n  }\n}": typeof types.DeployApiRevisionDocument,
    "mutation AcknowledgeAlert($id: ID!, $note: String) {\n  acknowledgeAlert(id: $id, note: $note) {\n    ...AlertFields\n  }\n}": typeof types.AcknowledgeAlertDocument,
    "fragment GatewayFields on Gateway {\n  id\n  name\n  vhosts\n  createdAt\n  connected\n  delivery {\n    eventsSent\n    failedDeliveries\n    lastFailureAt\n    lastFailureReason\n  }\n}": typeof types.GatewayFieldsFragmentDoc,
    "mutation ResetAlertThreshold($name: AlertThresholdName!) {\n  resetAlertThreshold(name: $name)\n}": typeof types.ResetAlertThresholdDocument,
    "fragment GatewayDeliveryFields on GatewayDelivery {\n  gatewayId\n  status\n  connections\n  reason\n  eventId\n}": typeof types.GatewayDeliveryFieldsFragmentDoc,
    "query Deliveries($registrationId: ID!, $status: DeliveryStatus, $first: Int) {\n  deliveries(registrationId: $registrationId, status: $status, first: $first) {\n    id\n    eventId\n    eventType\n    status\n    attempts\n    lastError\n    firstAttemptAt\n    deliveredAt\n    latencyMs\n  }\n}": typeof types.DeliveriesDocument,
    "query Tasks($repository: String!) {\n  tasks(repository: $repository) {\n    ...TaskFields\n  }\n}": typeof types.TasksDocument,
    "mutation ResetRateLimit($field: String!) {\n  resetRateLimit(field: $field)\n}": typeof types.ResetRateLimitDocument,
};
const documents: Documents = {
    "mutation Disconnect($connectionId: ID!, $reason: String) {\n  disconnect(connectionId: $connectionId, reason: $reason)\n}": types.DisconnectDocument,
    "query CliEndpoints {\n  cliEndpoints {\n    id\n    name\n    ownerId\n    callbackUrl\n    repositories\n    clientVersion\n    createdAt\n    healthy\n    lastHealthCheckAt\n    breakerState\n    consecutiveFailures\n    delivered\n    failed\n    fallback\n  }\n}": types.CliEndpointsDocument,
    "query EventsCursor {\n  eventsCursor\n}": types.EventsCursorDocument,
    "mutation NotifyConnection($connectionId: ID!, $message: String!) {\n  notifyConnection(connectionId: $connectionId, message: $message)\n}": types.NotifyConnectionDocument,
    "mutation SetAlertThreshold($input: SetAlertThresholdInput!) {\n  setAlertThreshold(input: $input) {\n    ...AlertThresholdFields\n  }\n}": types.SetAlertThresholdDocument,
    "query Stats {\n  stats {\n    instanceId\n    mode\n    startedAt\n    uptimeSeconds\n    connections\n    subscriptions\n    eventsPublished\n    eventsDelivered\n    slowConsumerDisconnects\n    gateways {\n      gateways\n      eventsSent\n      failedDeliveries\n    }\n    push {\n      pushing\n      endpoints\n      delivered\n      failed\n      successRate\n    }\n    cluster {\n      connections\n      subscriptions\n      eventsPublished\n      eventsDelivered\n      instances {\n        instanceId\n        mode\n        startedAt\n        reportedAt\n        uptimeSeconds\n        connections\n        subscriptions\n        eventsPublished\n        eventsDelivered\n        gatewayEventsSent\n        gatewaySendFailures\n        slowConsumerDisconnects\n      }\n    }\n  }\n}": types.StatsDocument,
    "query ConnectionDiagnostics($connectionId: ID!) {\n  connectionDiagnostics(connectionId: $connectionId) {\n    connectionId\n    instanceId\n    open\n    remoteAddress\n    principalId\n    clientName\n    connectedAt\n    closedAt\n    closeCode\n    closeReason\n    healthScore\n    heartbeatRttMs\n    subscriptions\n    eventsSent\n    eventsDropped\n    timeline {\n      at\n      kind\n      detail\n    }\n    deliveries {\n      at\n      eventId\n      type\n      topic\n      latencyMs\n    }\n    pongs {\n      at\n      rttMs\n    }\n  }\n}": types.ConnectionDiagnosticsDocument,
    "query Alert($id: ID!) {\n  alert(id: $id) {\n    ...AlertFields\n  }\n}": types.AlertDocument,
    "query Deployment($correlationId: String!) {\n  deployment(correlationId: $correlationId) {\n    ...DeploymentStatusFields\n  }\n}": types.DeploymentDocument,
    "mutation PublishEvents($inputs: [PublishEventInput!]!, $idempotencyKey: String) {\n  publishEvents(inputs: $inputs, idempotencyKey: $idempotencyKey) {\n    ...ChannelEventFields\n  }\n}": types.PublishEventsDocument,
    "query GatewayKeys($gatewayId: ID!) {\n  gatewayKeys(gatewayId: $gatewayId) {\n    id\n    createdAt\n    lastUsedAt\n    revokedAt\n  }\n}": types.GatewayKeysDocument,
    "query Alerts($status: AlertStatus, $severity: AlertSeverity, $first: Int, $after: ID) {\n  alerts(status: $status, severity: $severity, first: $first, after: $after) {\n    ...AlertFields\n  }\n}": types.AlertsDocument,
    "query RateLimits {\n  rateLimits {\n    ...RateLimitFields\n  }\n}": types.RateLimitsDocument,
    "mutation UpdateTask($id: ID!, $input: UpdateTaskInput!) {\n  updateTask(id: $id, input: $input) {\n    ...TaskFields\n  }\n}": types.UpdateTaskDocument,
    "subscription ChannelEvents($channels: [String!]!, $after: String, $minPriority: Priority, $types: [String!], $where: JSON, $order: EventOrder) {\n  channelEvents(\n    channels: $channels\n    after: $after\n    minPriority: $minPriority\n    types: $types\n    where: $where\n    order: $order\n  ) {\n    ...ChannelEventFields\n  }\n}": types.ChannelEventsDocument,
    "mutation DeleteGateway($id: ID!) {\n  deleteGateway(id: $id)\n}": types.DeleteGatewayDocument,
    "fragment DeploymentStatusFields on DeploymentStatus {\n  id\n  kind\n  correlationId\n  publishedAt\n  acknowledged\n  targets {\n    gatewayId\n    eventId\n    status\n    acknowledgedAt\n    overdue\n  }\n}": types.DeploymentStatusFieldsFragmentDoc,
    "query Gateways {\n  gateways {\n    ...GatewayFields\n  }\n}": types.GatewaysDocument,
    "fragment ConnectionFields on Connection {\n  id\n  instanceId\n  remoteAddress\n  connectedAt\n  lastHeartbeatAt\n  heartbeatRttMs\n  principalId\n  principalKind\n  clientName\n  clientVersion\n  gatewayId\n  subscriptions\n  eventsSent\n  eventsDropped\n  healthScore\n}": types.ConnectionFieldsFragmentDoc,
    "mutation ResolveAlert($id: ID!, $note: String) {\n  resolveAlert(id: $id, note: $note) {\n    ...AlertFields\n  }\n}": types.ResolveAlertDocument,
    "mutation UndeployApi($input: UndeployApiInput!) {\n  undeployApi(input: $input) {\n    id\n    apiId\n    correlationId\n    targets {\n      ...GatewayDeliveryFields\n    }\n  }\n}": types.UndeployApiDocument,
    "mutation RegisterGateway($input: RegisterGatewayInput!) {\n  registerGateway(input: $input) {\n    apiKey\n    keyId\n    gateway {\n      ...GatewayFields\n    }\n  }\n}": types.RegisterGatewayDocument,
    "subscription CliNotifications($registrationId: ID, $after: String) {\n  cliNotifications(registrationId: $registrationId, after: $after) {\n    id\n    cursor\n    reason\n    event {\n      ...EventFields\n    }\n  }\n}": types.CliNotificationsDocument,
    "mutation Broadcast($message: String!) {\n  broadcast(message: $message)\n}": types.BroadcastDocument,
    "fragment AlertThresholdFields on AlertThreshold {\n  name\n  raise\n  clear\n  severity\n  enabled\n  source\n}": types.AlertThresholdFieldsFragmentDoc,
    "query ApiKeys {\n  apiKeys {\n    ...ApiKeyFields\n  }\n}": types.ApiKeysDocument,
    "subscription TaskEvents($repositories: [String!]!, $after: String, $minPriority: Priority) {\n  taskEvents(\n    repositories: $repositories\n    after: $after\n    minPriority: $minPriority\n  ) {\n    id\n    type\n    taskId\n    repository\n    changedBy\n    timestamp\n    sequence\n    cursor\n    priority\n    task {\n      ...TaskFields\n    }\n  }\n}": types.TaskEventsDocument,
    "mutation RegisterCli($input: RegisterCliInput!) {\n  registerCli(input: $input) {\n    id\n    secret\n    callbackUrl\n    repositories\n    clientVersion\n    name\n    createdAt\n  }\n}": types.RegisterCliDocument,
    "fragment TaskFields on Task {\n  id\n  repository\n  title\n  description\n  status\n  assignee\n  createdAt\n  updatedAt\n}": types.TaskFieldsFragmentDoc,
    "subscription ServerStatsUpdates($intervalMs: Int) {\n  serverStatsUpdates(intervalMs: $intervalMs) {\n    instanceId\n    sampledAt\n    mode\n    cluster {\n      connections\n      subscriptions\n    }\n    connectionsByKind {\n      kind\n      connections\n    }\n    traffic {\n      windowSeconds\n      connectsPerSecond\n      disconnectsPerSecond\n      publishedPerSecond\n      deliveredPerSecond\n      latencyP50Ms\n      latencyP99Ms\n      rateLimitRefusalsPerSecond\n      slowConsumerDisconnectsPerSecond\n      eventsDroppedPerSecond\n    }\n  }\n}": types.ServerStatsUpdatesDocument,
    "query Channels {\n  channels {\n    ...ChannelFields\n  }\n}": types.ChannelsDocument,
    "fragment AlertFields on Alert {\n  id\n  channel\n  severity\n  status\n  title\n  details\n  source\n  dedupKey\n  count\n  raisedAt\n  raisedBy\n  lastRaisedAt\n  acknowledgedAt\n  acknowledgedBy\n  acknowledgeNote\n  resolvedAt\n  resolvedBy\n  resolveNote\n}": types.AlertFieldsFragmentDoc,
    "mutation DefineChannel($input: DefineChannelInput!) {\n  defineChannel(input: $input) {\n    ...ChannelFields\n  }\n}": types.DefineChannelDocument,
    "mutation AcknowledgeGatewayEvent($eventId: ID!) {\n  acknowledgeGatewayEvent(eventId: $eventId) {\n    ...DeploymentStatusFields\n  }\n}": types.AcknowledgeGatewayEventDocument,
    "query Viewer {\n  viewer {\n    kind\n    id\n    console\n  }\n}": types.ViewerDocument,
    "subscription GatewayEvents($after: String, $gatewayId: ID, $minPriority: Priority, $types: [GatewayEventType!]) {\n  gatewayEvents(\n    after: $after\n    gatewayId: $gatewayId\n    minPriority: $minPriority\n    types: $types\n  ) {\n    id\n    type\n    gatewayId\n    timestamp\n    correlationId\n    priority\n    sequence\n    cursor\n    payload {\n      __typename\n      ... on ApiDeployed {\n        apiId\n        revisionId\n        vhost\n        deploymentId\n      }\n      ... on ApiUndeployed {\n        apiId\n        deploymentId\n      }\n      ... on GatewayConfigUpdated {\n        version\n        config\n      }\n    }\n  }\n}": types.GatewayEventsDocument,
    "mutation RevokeApiKey($id: ID!) {\n  revokeApiKey(id: $id) {\n    ...ApiKeyFields\n  }\n}": types.RevokeApiKeyDocument,
    "mutation DeleteTask($id: ID!, $input: DeleteTaskInput) {\n  deleteTask(id: $id, input: $input) {\n    ...TaskFields\n  }\n}": types.DeleteTaskDocument,
    "mutation PublishEvent($input: PublishEventInput!) {\n  publishEvent(input: $input) {\n    ...ChannelEventFields\n  }\n}": types.PublishEventDocument,
    "mutation CreateApiKey($input: CreateApiKeyInput!) {\n  createApiKey(input: $input) {\n    secret\n    apiKey {\n      ...ApiKeyFields\n    }\n  }\n}": types.CreateApiKeyDocument,
    "query Gateway($id: ID!) {\n  gateway(id: $id) {\n    ...GatewayFields\n    connections {\n      ...ConnectionFields\n    }\n  }\n}": types.GatewayDocument,
    "mutation UpdateGatewayConfig($input: UpdateGatewayConfigInput!) {\n  updateGatewayConfig(input: $input) {\n    gatewayId\n    version\n    correlationId\n    targets {\n      ...GatewayDeliveryFields\n    }\n  }\n}": types.UpdateGatewayConfigDocument,
    "query Events($topics: [String!]!, $after: String, $limit: Int) {\n  events(topics: $topics, after: $after, limit: $limit) {\n    events {\n      ...EventFields\n    }\n    cursor\n    hasMore\n  }\n}": types.EventsDocument,
    "mutation RotateGatewayKey($gatewayId: ID!) {\n  rotateGatewayKey(gatewayId: $gatewayId) {\n    apiKey\n    keyId\n    gateway {\n      ...GatewayFields\n    }\n  }\n}": types.RotateGatewayKeyDocument,
    "mutation DeregisterCli($id: ID!) {\n  deregisterCli(id: $id)\n}": types.DeregisterCliDocument,
    "query Connections($after: ID, $filter: ConnectionFilter, $first: Int) {\n  connections(after: $after, filter: $filter, first: $first) {\n    ...ConnectionFields\n  }\n}": types.ConnectionsDocument,
    "fragment ApiKeyFields on ApiKey {\n  id\n  name\n  scopes\n  createdAt\n  revokedAt\n}": types.ApiKeyFieldsFragmentDoc,
    "fragment ChannelFields on Channel {\n  name\n  description\n  source\n  defaultPriority\n  maxPayloadBytes\n  retentionCount\n  retentionSeconds\n  batchWindowMs\n  types {\n    name\n    schema\n    schemaVersion\n  }\n}": types.ChannelFieldsFragmentDoc,
    "subscription SystemMessages {\n  systemMessages {\n    id\n    kind\n    message\n    timestamp\n  }\n}": types.SystemMessagesDocument,
    "mutation RevokeGatewayKey($gatewayId: ID!, $keyId: ID) {\n  revokeGatewayKey(gatewayId: $gatewayId, keyId: $keyId) {\n    ...GatewayFields\n  }\n}": types.RevokeGatewayKeyDocument,
    "mutation DeleteChannel($name: String!) {\n  deleteChannel(name: $name)\n}": types.DeleteChannelDocument,
    "query Task($id: ID!) {\n  task(id: $id) {\n    ...TaskFields\n  }\n}": types.TaskDocument,
    "subscription ChannelEventBatches($channels: [String!]!, $after: String, $minPriority: Priority, $types: [String!], $where: JSON, $maxBatch: Int, $maxDelayMs: Int) {\n  channelEventBatches(\n    channels: $channels\n    after: $after\n    minPriority: $minPriority\n    types: $types\n    where: $where\n    maxBatch: $maxBatch\n    maxDelayMs: $maxDelayMs\n  ) {\n    ...ChannelEventFields\n  }\n}": types.ChannelEventBatchesDocument,
    "fragment EventFields on Event {\n  id\n  type\n  topic\n  sequence\n  cursor\n  timestamp\n  priority\n  correlationId\n  expiresAt\n  source\n  schemaVersion\n  payload\n}": types.EventFieldsFragmentDoc,
    "fragment ChannelEventFields on ChannelEvent {\n  id\n  channel\n  type\n  sequence\n  cursor\n  timestamp\n  priority\n  correlationId\n  expiresAt\n  source\n  schemaVersion\n  payload\n}": types.ChannelEventFieldsFragmentDoc,
    "mutation RaiseAlert($input: RaiseAlertInput!) {\n  raiseAlert(input: $input) {\n    ...AlertFields\n  }\n}": types.RaiseAlertDocument,
    "mutation CreateTask($input: CreateTaskInput!) {\n  createTask(input: $input) {\n    ...TaskFields\n  }\n}": types.CreateTaskDocument,
    "fragment RateLimitFields on RateLimit {\n  field\n  max\n  windowSeconds\n  burst\n  source\n}": types.RateLimitFieldsFragmentDoc,
    "query AlertThresholds {\n  alertThresholds {\n    ...AlertThresholdFields\n  }\n}": types.AlertThresholdsDocument,
    "mutation SetRateLimit($input: SetRateLimitInput!) {\n  setRateLimit(input: $input) {\n    ...RateLimitFields\n  }\n}": types.SetRateLimitDocument,
    "mutation DeployApiRevision($input: DeployApiRevisionInput!) {\n  deployApiRevision(input: $input) {\n    id\n    apiId\n    revisionId\n    vhost\n    correlationId\n    targets {\n      ...GatewayDeliveryFields\n    }\n  }\n}": types.DeployApiRevisionDocument,
    "mutation AcknowledgeAlert($id: ID!, $note: String) {\n  acknowledgeAlert(id: $id, note: $note) {\n    ...AlertFields\n  }\n}": types.AcknowledgeAlertDocument,
    "fragment GatewayFields on Gateway {\n  id\n  name\n  vhosts\n  createdAt\n  connected\n  delivery {\n    eventsSent\n    failedDeliveries\n    lastFailureAt\n    lastFailureReason\n  }\n}": types.GatewayFieldsFragmentDoc,
    "mutation ResetAlertThreshold($name: AlertThresholdName!) {\n  resetAlertThreshold(name: $name)\n}": types.ResetAlertThresholdDocument,
    "fragment GatewayDeliveryFields on GatewayDelivery {\n  gatewayId\n  status\n  connections\n  reason\n  eventId\n}": types.GatewayDeliveryFieldsFragmentDoc,
    "query Deliveries($registrationId: ID!, $status: DeliveryStatus, $first: Int) {\n  deliveries(registrationId: $registrationId, status: $status, first: $first) {\n    id\n    eventId\n    eventType\n    status\n    attempts\n    lastError\n    firstAttemptAt\n    deliveredAt\n    latencyMs\n  }\n}": types.DeliveriesDocument,
    "query Tasks($repository: String!) {\n  tasks(repository: $repository) {\n    ...TaskFields\n  }\n}": types.TasksDocument,
    "mutation ResetRateLimit($field: String!) {\n  resetRateLimit(field: $field)\n}": types.ResetRateLimitDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Disconnect($connectionId: ID!, $reason: String) {\n  disconnect(connectionId: $connectionId, reason: $reason)\n}"): (typeof documents)["mutation Disconnect($connectionId: ID!, $reason: String) {\n  disconnect(connectionId: $connectionId, reason: $reason)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query CliEndpoints {\n  cliEndpoints {\n    id\n    name\n    ownerId\n    callbackUrl\n    repositories\n    clientVersion\n    createdAt\n    healthy\n    lastHealthCheckAt\n    breakerState\n    consecutiveFailures\n    delivered\n    failed\n    fallback\n  }\n}"): (typeof documents)["query CliEndpoints {\n  cliEndpoints {\n    id\n    name\n    ownerId\n    callbackUrl\n    repositories\n    clientVersion\n    createdAt\n    healthy\n    lastHealthCheckAt\n    breakerState\n    consecutiveFailures\n    delivered\n    failed\n    fallback\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query EventsCursor {\n  eventsCursor\n}"): (typeof documents)["query EventsCursor {\n  eventsCursor\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation NotifyConnection($connectionId: ID!, $message: String!) {\n  notifyConnection(connectionId: $connectionId, message: $message)\n}"): (typeof documents)["mutation NotifyConnection($connectionId: ID!, $message: String!) {\n  notifyConnection(connectionId: $connectionId, message: $message)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetAlertThreshold($input: SetAlertThresholdInput!) {\n  setAlertThreshold(input: $input) {\n    ...AlertThresholdFields\n  }\n}"): (typeof documents)["mutation SetAlertThreshold($input: SetAlertThresholdInput!) {\n  setAlertThreshold(input: $input) {\n    ...AlertThresholdFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Stats {\n  stats {\n    instanceId\n    mode\n    startedAt\n    uptimeSeconds\n    connections\n    subscriptions\n    eventsPublished\n    eventsDelivered\n    slowConsumerDisconnects\n    gateways {\n      gateways\n      eventsSent\n      failedDeliveries\n    }\n    push {\n      pushing\n      endpoints\n      delivered\n      failed\n      successRate\n    }\n    cluster {\n      connections\n      subscriptions\n      eventsPublished\n      eventsDelivered\n      instances {\n        instanceId\n        mode\n        startedAt\n        reportedAt\n        uptimeSeconds\n        connections\n        subscriptions\n        eventsPublished\n        eventsDelivered\n        gatewayEventsSent\n        gatewaySendFailures\n        slowConsumerDisconnects\n      }\n    }\n  }\n}"): (typeof documents)["query Stats {\n  stats {\n    instanceId\n    mode\n    startedAt\n    uptimeSeconds\n    connections\n    subscriptions\n    eventsPublished\n    eventsDelivered\n    slowConsumerDisconnects\n    gateways {\n      gateways\n      eventsSent\n      failedDeliveries\n    }\n    push {\n      pushing\n      endpoints\n      delivered\n      failed\n      successRate\n    }\n    cluster {\n      connections\n      subscriptions\n      eventsPublished\n      eventsDelivered\n      instances {\n        instanceId\n        mode\n        startedAt\n        reportedAt\n        uptimeSeconds\n        connections\n        subscriptions\n        eventsPublished\n        eventsDelivered\n        gatewayEventsSent\n        gatewaySendFailures\n        slowConsumerDisconnects\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ConnectionDiagnostics($connectionId: ID!) {\n  connectionDiagnostics(connectionId: $connectionId) {\n    connectionId\n    instanceId\n    open\n    remoteAddress\n    principalId\n    clientName\n    connectedAt\n    closedAt\n    closeCode\n    closeReason\n    healthScore\n    heartbeatRttMs\n    subscriptions\n    eventsSent\n    eventsDropped\n    timeline {\n      at\n      kind\n      detail\n    }\n    deliveries {\n      at\n      eventId\n      type\n      topic\n      latencyMs\n    }\n    pongs {\n      at\n      rttMs\n    }\n  }\n}"): (typeof documents)["query ConnectionDiagnostics($connectionId: ID!) {\n  connectionDiagnostics(connectionId: $connectionId) {\n    connectionId\n    instanceId\n    open\n    remoteAddress\n    principalId\n    clientName\n    connectedAt\n    closedAt\n    closeCode\n    closeReason\n    healthScore\n    heartbeatRttMs\n    subscriptions\n    eventsSent\n    eventsDropped\n    timeline {\n      at\n      kind\n      detail\n    }\n    deliveries {\n      at\n      eventId\n      type\n      topic\n      latencyMs\n    }\n    pongs {\n      at\n      rttMs\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Alert($id: ID!) {\n  alert(id: $id) {\n    ...AlertFields\n  }\n}"): (typeof documents)["query Alert($id: ID!) {\n  alert(id: $id) {\n    ...AlertFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Deployment($correlationId: String!) {\n  deployment(correlationId: $correlationId) {\n    ...DeploymentStatusFields\n  }\n}"): (typeof documents)["query Deployment($correlationId: String!) {\n  deployment(correlationId: $correlationId) {\n    ...DeploymentStatusFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PublishEvents($inputs: [PublishEventInput!]!, $idempotencyKey: String) {\n  publishEvents(inputs: $inputs, idempotencyKey: $idempotencyKey) {\n    ...ChannelEventFields\n  }\n}"): (typeof documents)["mutation PublishEvents($inputs: [PublishEventInput!]!, $idempotencyKey: String) {\n  publishEvents(inputs: $inputs, idempotencyKey: $idempotencyKey) {\n    ...ChannelEventFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GatewayKeys($gatewayId: ID!) {\n  gatewayKeys(gatewayId: $gatewayId) {\n    id\n    createdAt\n    lastUsedAt\n    revokedAt\n  }\n}"): (typeof documents)["query GatewayKeys($gatewayId: ID!) {\n  gatewayKeys(gatewayId: $gatewayId) {\n    id\n    createdAt\n    lastUsedAt\n    revokedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Alerts($status: AlertStatus, $severity: AlertSeverity, $first: Int, $after: ID) {\n  alerts(status: $status, severity: $severity, first: $first, after: $after) {\n    ...AlertFields\n  }\n}"): (typeof documents)["query Alerts($status: AlertStatus, $severity: AlertSeverity, $first: Int, $after: ID) {\n  alerts(status: $status, severity: $severity, first: $first, after: $after) {\n    ...AlertFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query RateLimits {\n  rateLimits {\n    ...RateLimitFields\n  }\n}"): (typeof documents)["query RateLimits {\n  rateLimits {\n    ...RateLimitFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateTask($id: ID!, $input: UpdateTaskInput!) {\n  updateTask(id: $id, input: $input) {\n    ...TaskFields\n  }\n}"): (typeof documents)["mutation UpdateTask($id: ID!, $input: UpdateTaskInput!) {\n  updateTask(id: $id, input: $input) {\n    ...TaskFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription ChannelEvents($channels: [String!]!, $after: String, $minPriority: Priority, $types: [String!], $where: JSON, $order: EventOrder) {\n  channelEvents(\n    channels: $channels\n    after: $after\n    minPriority: $minPriority\n    types: $types\n    where: $where\n    order: $order\n  ) {\n    ...ChannelEventFields\n  }\n}"): (typeof documents)["subscription ChannelEvents($channels: [String!]!, $after: String, $minPriority: Priority, $types: [String!], $where: JSON, $order: EventOrder) {\n  channelEvents(\n    channels: $channels\n    after: $after\n    minPriority: $minPriority\n    types: $types\n    where: $where\n    order: $order\n  ) {\n    ...ChannelEventFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeleteGateway($id: ID!) {\n  deleteGateway(id: $id)\n}"): (typeof documents)["mutation DeleteGateway($id: ID!) {\n  deleteGateway(id: $id)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment DeploymentStatusFields on DeploymentStatus {\n  id\n  kind\n  correlationId\n  publishedAt\n  acknowledged\n  targets {\n    gatewayId\n    eventId\n    status\n    acknowledgedAt\n    overdue\n  }\n}"): (typeof documents)["fragment DeploymentStatusFields on DeploymentStatus {\n  id\n  kind\n  correlationId\n  publishedAt\n  acknowledged\n  targets {\n    gatewayId\n    eventId\n    status\n    acknowledgedAt\n    overdue\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Gateways {\n  gateways {\n    ...GatewayFields\n  }\n}"): (typeof documents)["query Gateways {\n  gateways {\n    ...GatewayFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment ConnectionFields on Connection {\n  id\n  instanceId\n  remoteAddress\n  connectedAt\n  lastHeartbeatAt\n  heartbeatRttMs\n  principalId\n  principalKind\n  clientName\n  clientVersion\n  gatewayId\n  subscriptions\n  eventsSent\n  eventsDropped\n  healthScore\n}"): (typeof documents)["fragment ConnectionFields on Connection {\n  id\n  instanceId\n  remoteAddress\n  connectedAt\n  lastHeartbeatAt\n  heartbeatRttMs\n  principalId\n  principalKind\n  clientName\n  clientVersion\n  gatewayId\n  subscriptions\n  eventsSent\n  eventsDropped\n  healthScore\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ResolveAlert($id: ID!, $note: String) {\n  resolveAlert(id: $id, note: $note) {\n    ...AlertFields\n  }\n}"): (typeof documents)["mutation ResolveAlert($id: ID!, $note: String) {\n  resolveAlert(id: $id, note: $note) {\n    ...AlertFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UndeployApi($input: UndeployApiInput!) {\n  undeployApi(input: $input) {\n    id\n    apiId\n    correlationId\n    targets {\n      ...GatewayDeliveryFields\n    }\n  }\n}"): (typeof documents)["mutation UndeployApi($input: UndeployApiInput!) {\n  undeployApi(input: $input) {\n    id\n    apiId\n    correlationId\n    targets {\n      ...GatewayDeliveryFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RegisterGateway($input: RegisterGatewayInput!) {\n  registerGateway(input: $input) {\n    apiKey\n    keyId\n    gateway {\n      ...GatewayFields\n    }\n  }\n}"): (typeof documents)["mutation RegisterGateway($input: RegisterGatewayInput!) {\n  registerGateway(input: $input) {\n    apiKey\n    keyId\n    gateway {\n      ...GatewayFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription CliNotifications($registrationId: ID, $after: String) {\n  cliNotifications(registrationId: $registrationId, after: $after) {\n    id\n    cursor\n    reason\n    event {\n      ...EventFields\n    }\n  }\n}"): (typeof documents)["subscription CliNotifications($registrationId: ID, $after: String) {\n  cliNotifications(registrationId: $registrationId, after: $after) {\n    id\n    cursor\n    reason\n    event {\n      ...EventFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Broadcast($message: String!) {\n  broadcast(message: $message)\n}"): (typeof documents)["mutation Broadcast($message: String!) {\n  broadcast(message: $message)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment AlertThresholdFields on AlertThreshold {\n  name\n  raise\n  clear\n  severity\n  enabled\n  source\n}"): (typeof documents)["fragment AlertThresholdFields on AlertThreshold {\n  name\n  raise\n  clear\n  severity\n  enabled\n  source\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ApiKeys {\n  apiKeys {\n    ...ApiKeyFields\n  }\n}"): (typeof documents)["query ApiKeys {\n  apiKeys {\n    ...ApiKeyFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription TaskEvents($repositories: [String!]!, $after: String, $minPriority: Priority) {\n  taskEvents(\n    repositories: $repositories\n    after: $after\n    minPriority: $minPriority\n  ) {\n    id\n    type\n    taskId\n    repository\n    changedBy\n    timestamp\n    sequence\n    cursor\n    priority\n    task {\n      ...TaskFields\n    }\n  }\n}"): (typeof documents)["subscription TaskEvents($repositories: [String!]!, $after: String, $minPriority: Priority) {\n  taskEvents(\n    repositories: $repositories\n    after: $after\n    minPriority: $minPriority\n  ) {\n    id\n    type\n    taskId\n    repository\n    changedBy\n    timestamp\n    sequence\n    cursor\n    priority\n    task {\n      ...TaskFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RegisterCli($input: RegisterCliInput!) {\n  registerCli(input: $input) {\n    id\n    secret\n    callbackUrl\n    repositories\n    clientVersion\n    name\n    createdAt\n  }\n}"): (typeof documents)["mutation RegisterCli($input: RegisterCliInput!) {\n  registerCli(input: $input) {\n    id\n    secret\n    callbackUrl\n    repositories\n    clientVersion\n    name\n    createdAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment TaskFields on Task {\n  id\n  repository\n  title\n  description\n  status\n  assignee\n  createdAt\n  updatedAt\n}"): (typeof documents)["fragment TaskFields on Task {\n  id\n  repository\n  title\n  description\n  status\n  assignee\n  createdAt\n  updatedAt\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription ServerStatsUpdates($intervalMs: Int) {\n  serverStatsUpdates(intervalMs: $intervalMs) {\n    instanceId\n    sampledAt\n    mode\n    cluster {\n      connections\n      subscriptions\n    }\n    connectionsByKind {\n      kind\n      connections\n    }\n    traffic {\n      windowSeconds\n      connectsPerSecond\n      disconnectsPerSecond\n      publishedPerSecond\n      deliveredPerSecond\n      latencyP50Ms\n      latencyP99Ms\n      rateLimitRefusalsPerSecond\n      slowConsumerDisconnectsPerSecond\n      eventsDroppedPerSecond\n    }\n  }\n}"): (typeof documents)["subscription ServerStatsUpdates($intervalMs: Int) {\n  serverStatsUpdates(intervalMs: $intervalMs) {\n    instanceId\n    sampledAt\n    mode\n    cluster {\n      connections\n      subscriptions\n    }\n    connectionsByKind {\n      kind\n      connections\n    }\n    traffic {\n      windowSeconds\n      connectsPerSecond\n      disconnectsPerSecond\n      publishedPerSecond\n      deliveredPerSecond\n      latencyP50Ms\n      latencyP99Ms\n      rateLimitRefusalsPerSecond\n      slowConsumerDisconnectsPerSecond\n      eventsDroppedPerSecond\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Channels {\n  channels {\n    ...ChannelFields\n  }\n}"): (typeof documents)["query Channels {\n  channels {\n    ...ChannelFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment AlertFields on Alert {\n  id\n  channel\n  severity\n  status\n  title\n  details\n  source\n  dedupKey\n  count\n  raisedAt\n  raisedBy\n  lastRaisedAt\n  acknowledgedAt\n  acknowledgedBy\n  acknowledgeNote\n  resolvedAt\n  resolvedBy\n  resolveNote\n}"): (typeof documents)["fragment AlertFields on Alert {\n  id\n  channel\n  severity\n  status\n  title\n  details\n  source\n  dedupKey\n  count\n  raisedAt\n  raisedBy\n  lastRaisedAt\n  acknowledgedAt\n  acknowledgedBy\n  acknowledgeNote\n  resolvedAt\n  resolvedBy\n  resolveNote\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DefineChannel($input: DefineChannelInput!) {\n  defineChannel(input: $input) {\n    ...ChannelFields\n  }\n}"): (typeof documents)["mutation DefineChannel($input: DefineChannelInput!) {\n  defineChannel(input: $input) {\n    ...ChannelFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AcknowledgeGatewayEvent($eventId: ID!) {\n  acknowledgeGatewayEvent(eventId: $eventId) {\n    ...DeploymentStatusFields\n  }\n}"): (typeof documents)["mutation AcknowledgeGatewayEvent($eventId: ID!) {\n  acknowledgeGatewayEvent(eventId: $eventId) {\n    ...DeploymentStatusFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Viewer {\n  viewer {\n    kind\n    id\n    console\n  }\n}"): (typeof documents)["query Viewer {\n  viewer {\n    kind\n    id\n    console\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription GatewayEvents($after: String, $gatewayId: ID, $minPriority: Priority, $types: [GatewayEventType!]) {\n  gatewayEvents(\n    after: $after\n    gatewayId: $gatewayId\n    minPriority: $minPriority\n    types: $types\n  ) {\n    id\n    type\n    gatewayId\n    timestamp\n    correlationId\n    priority\n    sequence\n    cursor\n    payload {\n      __typename\n      ... on ApiDeployed {\n        apiId\n        revisionId\n        vhost\n        deploymentId\n      }\n      ... on ApiUndeployed {\n        apiId\n        deploymentId\n      }\n      ... on GatewayConfigUpdated {\n        version\n        config\n      }\n    }\n  }\n}"): (typeof documents)["subscription GatewayEvents($after: String, $gatewayId: ID, $minPriority: Priority, $types: [GatewayEventType!]) {\n  gatewayEvents(\n    after: $after\n    gatewayId: $gatewayId\n    minPriority: $minPriority\n    types: $types\n  ) {\n    id\n    type\n    gatewayId\n    timestamp\n    correlationId\n    priority\n    sequence\n    cursor\n    payload {\n      __typename\n      ... on ApiDeployed {\n        apiId\n        revisionId\n        vhost\n        deploymentId\n      }\n      ... on ApiUndeployed {\n        apiId\n        deploymentId\n      }\n      ... on GatewayConfigUpdated {\n        version\n        config\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RevokeApiKey($id: ID!) {\n  revokeApiKey(id: $id) {\n    ...ApiKeyFields\n  }\n}"): (typeof documents)["mutation RevokeApiKey($id: ID!) {\n  revokeApiKey(id: $id) {\n    ...ApiKeyFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeleteTask($id: ID!, $input: DeleteTaskInput) {\n  deleteTask(id: $id, input: $input) {\n    ...TaskFields\n  }\n}"): (typeof documents)["mutation DeleteTask($id: ID!, $input: DeleteTaskInput) {\n  deleteTask(id: $id, input: $input) {\n    ...TaskFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PublishEvent($input: PublishEventInput!) {\n  publishEvent(input: $input) {\n    ...ChannelEventFields\n  }\n}"): (typeof documents)["mutation PublishEvent($input: PublishEventInput!) {\n  publishEvent(input: $input) {\n    ...ChannelEventFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateApiKey($input: CreateApiKeyInput!) {\n  createApiKey(input: $input) {\n    secret\n    apiKey {\n      ...ApiKeyFields\n    }\n  }\n}"): (typeof documents)["mutation CreateApiKey($input: CreateApiKeyInput!) {\n  createApiKey(input: $input) {\n    secret\n    apiKey {\n      ...ApiKeyFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Gateway($id: ID!) {\n  gateway(id: $id) {\n    ...GatewayFields\n    connections {\n      ...ConnectionFields\n    }\n  }\n}"): (typeof documents)["query Gateway($id: ID!) {\n  gateway(id: $id) {\n    ...GatewayFields\n    connections {\n      ...ConnectionFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateGatewayConfig($input: UpdateGatewayConfigInput!) {\n  updateGatewayConfig(input: $input) {\n    gatewayId\n    version\n    correlationId\n    targets {\n      ...GatewayDeliveryFields\n    }\n  }\n}"): (typeof documents)["mutation UpdateGatewayConfig($input: UpdateGatewayConfigInput!) {\n  updateGatewayConfig(input: $input) {\n    gatewayId\n    version\n    correlationId\n    targets {\n      ...GatewayDeliveryFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Events($topics: [String!]!, $after: String, $limit: Int) {\n  events(topics: $topics, after: $after, limit: $limit) {\n    events {\n      ...EventFields\n    }\n    cursor\n    hasMore\n  }\n}"): (typeof documents)["query Events($topics: [String!]!, $after: String, $limit: Int) {\n  events(topics: $topics, after: $after, limit: $limit) {\n    events {\n      ...EventFields\n    }\n    cursor\n    hasMore\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RotateGatewayKey($gatewayId: ID!) {\n  rotateGatewayKey(gatewayId: $gatewayId) {\n    apiKey\n    keyId\n    gateway {\n      ...GatewayFields\n    }\n  }\n}"): (typeof documents)["mutation RotateGatewayKey($gatewayId: ID!) {\n  rotateGatewayKey(gatewayId: $gatewayId) {\n    apiKey\n    keyId\n    gateway {\n      ...GatewayFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeregisterCli($id: ID!) {\n  deregisterCli(id: $id)\n}"): (typeof documents)["mutation DeregisterCli($id: ID!) {\n  deregisterCli(id: $id)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Connections($after: ID, $filter: ConnectionFilter, $first: Int) {\n  connections(after: $after, filter: $filter, first: $first) {\n    ...ConnectionFields\n  }\n}"): (typeof documents)["query Connections($after: ID, $filter: ConnectionFilter, $first: Int) {\n  connections(after: $after, filter: $filter, first: $first) {\n    ...ConnectionFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment ApiKeyFields on ApiKey {\n  id\n  name\n  scopes\n  createdAt\n  revokedAt\n}"): (typeof documents)["fragment ApiKeyFields on ApiKey {\n  id\n  name\n  scopes\n  createdAt\n  revokedAt\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment ChannelFields on Channel {\n  name\n  description\n  source\n  defaultPriority\n  maxPayloadBytes\n  retentionCount\n  retentionSeconds\n  batchWindowMs\n  types {\n    name\n    schema\n    schemaVersion\n  }\n}"): (typeof documents)["fragment ChannelFields on Channel {\n  name\n  description\n  source\n  defaultPriority\n  maxPayloadBytes\n  retentionCount\n  retentionSeconds\n  batchWindowMs\n  types {\n    name\n    schema\n    schemaVersion\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription SystemMessages {\n  systemMessages {\n    id\n    kind\n    message\n    timestamp\n  }\n}"): (typeof documents)["subscription SystemMessages {\n  systemMessages {\n    id\n    kind\n    message\n    timestamp\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RevokeGatewayKey($gatewayId: ID!, $keyId: ID) {\n  revokeGatewayKey(gatewayId: $gatewayId, keyId: $keyId) {\n    ...GatewayFields\n  }\n}"): (typeof documents)["mutation RevokeGatewayKey($gatewayId: ID!, $keyId: ID) {\n  revokeGatewayKey(gatewayId: $gatewayId, keyId: $keyId) {\n    ...GatewayFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeleteChannel($name: String!) {\n  deleteChannel(name: $name)\n}"): (typeof documents)["mutation DeleteChannel($name: String!) {\n  deleteChannel(name: $name)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Task($id: ID!) {\n  task(id: $id) {\n    ...TaskFields\n  }\n}"): (typeof documents)["query Task($id: ID!) {\n  task(id: $id) {\n    ...TaskFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription ChannelEventBatches($channels: [String!]!, $after: String, $minPriority: Priority, $types: [String!], $where: JSON, $maxBatch: Int, $maxDelayMs: Int) {\n  channelEventBatches(\n    channels: $channels\n    after: $after\n    minPriority: $minPriority\n    types: $types\n    where: $where\n    maxBatch: $maxBatch\n    maxDelayMs: $maxDelayMs\n  ) {\n    ...ChannelEventFields\n  }\n}"): (typeof documents)["subscription ChannelEventBatches($channels: [String!]!, $after: String, $minPriority: Priority, $types: [String!], $where: JSON, $maxBatch: Int, $maxDelayMs: Int) {\n  channelEventBatches(\n    channels: $channels\n    after: $after\n    minPriority: $minPriority\n    types: $types\n    where: $where\n    maxBatch: $maxBatch\n    maxDelayMs: $maxDelayMs\n  ) {\n    ...ChannelEventFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment EventFields on Event {\n  id\n  type\n  topic\n  sequence\n  cursor\n  timestamp\n  priority\n  correlationId\n  expiresAt\n  source\n  schemaVersion\n  payload\n}"): (typeof documents)["fragment EventFields on Event {\n  id\n  type\n  topic\n  sequence\n  cursor\n  timestamp\n  priority\n  correlationId\n  expiresAt\n  source\n  schemaVersion\n  payload\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment ChannelEventFields on ChannelEvent {\n  id\n  channel\n  type\n  sequence\n  cursor\n  timestamp\n  priority\n  correlationId\n  expiresAt\n  source\n  schemaVersion\n  payload\n}"): (typeof documents)["fragment ChannelEventFields on ChannelEvent {\n  id\n  channel\n  type\n  sequence\n  cursor\n  timestamp\n  priority\n  correlationId\n  expiresAt\n  source\n  schemaVersion\n  payload\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RaiseAlert($input: RaiseAlertInput!) {\n  raiseAlert(input: $input) {\n    ...AlertFields\n  }\n}"): (typeof documents)["mutation RaiseAlert($input: RaiseAlertInput!) {\n  raiseAlert(input: $input) {\n    ...AlertFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateTask($input: CreateTaskInput!) {\n  createTask(input: $input) {\n    ...TaskFields\n  }\n}"): (typeof documents)["mutation CreateTask($input: CreateTaskInput!) {\n  createTask(input: $input) {\n    ...TaskFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment RateLimitFields on RateLimit {\n  field\n  max\n  windowSeconds\n  burst\n  source\n}"): (typeof documents)["fragment RateLimitFields on RateLimit {\n  field\n  max\n  windowSeconds\n  burst\n  source\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query AlertThresholds {\n  alertThresholds {\n    ...AlertThresholdFields\n  }\n}"): (typeof documents)["query AlertThresholds {\n  alertThresholds {\n    ...AlertThresholdFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetRateLimit($input: SetRateLimitInput!) {\n  setRateLimit(input: $input) {\n    ...RateLimitFields\n  }\n}"): (typeof documents)["mutation SetRateLimit($input: SetRateLimitInput!) {\n  setRateLimit(input: $input) {\n    ...RateLimitFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeployApiRevision($input: DeployApiRevisionInput!) {\n  deployApiRevision(input: $input) {\n    id\n    apiId\n    revisionId\n    vhost\n    correlationId\n    targets {\n      ...GatewayDeliveryFields\n    }\n  }\n}"): (typeof documents)["mutation DeployApiRevision($input: DeployApiRevisionInput!) {\n  deployApiRevision(input: $input) {\n    id\n    apiId\n    revisionId\n    vhost\n    correlationId\n    targets {\n      ...GatewayDeliveryFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AcknowledgeAlert($id: ID!, $note: String) {\n  acknowledgeAlert(id: $id, note: $note) {\n    ...AlertFields\n  }\n}"): (typeof documents)["mutation AcknowledgeAlert($id: ID!, $note: String) {\n  acknowledgeAlert(id: $id, note: $note) {\n    ...AlertFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment GatewayFields on Gateway {\n  id\n  name\n  vhosts\n  createdAt\n  connected\n  delivery {\n    eventsSent\n    failedDeliveries\n    lastFailureAt\n    lastFailureReason\n  }\n}"): (typeof documents)["fragment GatewayFields on Gateway {\n  id\n  name\n  vhosts\n  createdAt\n  connected\n  delivery {\n    eventsSent\n    failedDeliveries\n    lastFailureAt\n    lastFailureReason\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ResetAlertThreshold($name: AlertThresholdName!) {\n  resetAlertThreshold(name: $name)\n}"): (typeof documents)["mutation ResetAlertThreshold($name: AlertThresholdName!) {\n  resetAlertThreshold(name: $name)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment GatewayDeliveryFields on GatewayDelivery {\n  gatewayId\n  status\n  connections\n  reason\n  eventId\n}"): (typeof documents)["fragment GatewayDeliveryFields on GatewayDelivery {\n  gatewayId\n  status\n  connections\n  reason\n  eventId\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Deliveries($registrationId: ID!, $status: DeliveryStatus, $first: Int) {\n  deliveries(registrationId: $registrationId, status: $status, first: $first) {\n    id\n    eventId\n    eventType\n    status\n    attempts\n    lastError\n    firstAttemptAt\n    deliveredAt\n    latencyMs\n  }\n}"): (typeof documents)["query Deliveries($registrationId: ID!, $status: DeliveryStatus, $first: Int) {\n  deliveries(registrationId: $registrationId, status: $status, first: $first) {\n    id\n    eventId\n    eventType\n    status\n    attempts\n    lastError\n    firstAttemptAt\n    deliveredAt\n    latencyMs\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Tasks($repository: String!) {\n  tasks(repository: $repository) {\n    ...TaskFields\n  }\n}"): (typeof documents)["query Tasks($repository: String!) {\n  tasks(repository: $repository) {\n    ...TaskFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ResetRateLimit($field: String!) {\n  resetRateLimit(field: $field)\n}"): (typeof documents)["mutation ResetRateLimit($field: String!) {\n  resetRateLimit(field: $field)\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;