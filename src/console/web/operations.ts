/**
 * Every GraphQL operation the console's pages send, in one place: a test
 * validates each against the schema, so a change to the schema that would
 * break a page fails there.
 */

export const VIEWER = /* GraphQL */ `
  query ConsoleViewer {
    viewer { kind id console }
  }
`;

export const STATS_UPDATES = /* GraphQL */ `
  subscription ConsoleStats($intervalMs: Int!) {
    serverStatsUpdates(intervalMs: $intervalMs) {
      instanceId
      sampledAt
      mode
      cluster { connections subscriptions instances { instanceId connections subscriptions reportedAt } }
      connectionsByKind { kind connections }
      traffic {
        windowSeconds
        connectsPerSecond
        disconnectsPerSecond
        publishedPerSecond
        deliveredPerSecond
        latencyP50Ms
        latencyP99Ms
        rateLimitRefusalsPerSecond
        rateLimitRefusals
        slowConsumerDisconnectsPerSecond
        slowConsumerDisconnects
        eventsDroppedPerSecond
        eventsDropped
        families { family publishedPerSecond deliveredPerSecond latencyP50Ms latencyP99Ms }
      }
    }
  }
`;

/** Push endpoints and gateways: a subscription of its own, so that each stays well within the query cost limit. */
export const HEALTH_UPDATES = /* GraphQL */ `
  subscription ConsoleHealth($intervalMs: Int!) {
    serverStatsUpdates(intervalMs: $intervalMs) {
      pushEndpoints(first: 50) { id name host healthy breakerState delivered failed successRate backlog }
      gatewayHealth(first: 50) {
        id
        name
        connections
        lastHeartbeatAt
        delivery { eventsSent failedDeliveries lastFailureAt lastFailureReason }
        lastDeployment { kind correlationId publishedAt acknowledged targets { overdue } }
      }
    }
  }
`;

export const CONNECTIONS = /* GraphQL */ `
  query ConsoleConnections {
    connections(first: 50) { id instanceId clientKind clientName clientVersion principalKind principalId connectedAt subscriptions healthScore }
  }
`;

export const OPEN_ALERTS = /* GraphQL */ `
  query ConsoleAlerts {
    open: alerts(status: OPEN, first: 50) { id channel severity status title source count raisedAt }
    acknowledged: alerts(status: ACKNOWLEDGED, first: 50) { id channel severity status title source count raisedAt acknowledgedBy }
  }
`;

export const ACKNOWLEDGE_ALERT = /* GraphQL */ `
  mutation ConsoleAcknowledgeAlert($id: ID!) {
    acknowledgeAlert(id: $id, note: "from the dashboard") { id status }
  }
`;

export const ALERT_CHANGES = /* GraphQL */ `
  subscription ConsoleAlertChanges {
    channelEvents(channels: ["*"], types: ["alert.raised", "alert.acknowledged", "alert.resolved"]) { id type }
  }
`;

export const TASK_FEED = /* GraphQL */ `
  subscription ConsoleTaskFeed($repositories: [String!]!) {
    taskEvents(repositories: $repositories) { id type repository timestamp changedBy task { title status } }
  }
`;

export const CHANNEL_FEED = /* GraphQL */ `
  subscription ConsoleChannelFeed($channels: [String!]!) {
    channelEvents(channels: $channels) { id type channel timestamp source payload }
  }
`;

export const GATEWAY_FEED = /* GraphQL */ `
  subscription ConsoleGatewayFeed($gatewayId: ID!) {
    gatewayEvents(gatewayId: $gatewayId) { id type gatewayId timestamp payload { __typename } }
  }
`;

/** For the page tests and tools that read the list. */
export const OPERATIONS = { VIEWER, STATS_UPDATES, HEALTH_UPDATES, CONNECTIONS, OPEN_ALERTS, ACKNOWLEDGE_ALERT, ALERT_CHANGES, TASK_FEED, CHANNEL_FEED, GATEWAY_FEED };
