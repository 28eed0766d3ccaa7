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
    "fragment TaskFields on Task {\n  id\n  repository\n  title\n  description\n  status\n  assignee\n  createdAt\n  updatedAt\n}\n\nquery Task($id: ID!) {\n  task(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery Tasks($repository: String!) {\n  tasks(repository: $repository) {\n    ...TaskFields\n  }\n}\n\nmutation CreateTask($input: CreateTaskInput!) {\n  createTask(input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation UpdateTask($id: ID!, $input: UpdateTaskInput!) {\n  updateTask(id: $id, input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation DeleteTask($id: ID!) {\n  deleteTask(id: $id) {\n    ...TaskFields\n  }\n}\n\nsubscription TaskEvents($repositories: [String!]!, $after: String, $minPriority: Priority) {\n  taskEvents(\n    repositories: $repositories\n    after: $after\n    minPriority: $minPriority\n  ) {\n    id\n    type\n    taskId\n    repository\n    changedBy\n    timestamp\n    sequence\n    cursor\n    priority\n    task {\n      ...TaskFields\n    }\n  }\n}\n\nquery Stats {\n  stats {\n    instanceId\n    mode\n    uptimeSeconds\n    connections\n    subscriptions\n    eventsPublished\n    eventsDelivered\n  }\n}\n\nquery Connections {\n  connections {\n    id\n    remoteAddress\n    connectedAt\n    lastHeartbeatAt\n    principalId\n    clientName\n    clientVersion\n    subscriptions\n  }\n}\n\nquery Events($topics: [String!]!, $after: String, $limit: Int) {\n  events(topics: $topics, after: $after, limit: $limit) {\n    events {\n      id\n      type\n      topic\n      sequence\n      cursor\n      timestamp\n      priority\n      payload\n    }\n    cursor\n    hasMore\n  }\n}": typeof types.TaskFieldsFragmentDoc,
};
const documents: Documents = {
    "fragment TaskFields on Task {\n  id\n  repository\n  title\n  description\n  status\n  assignee\n  createdAt\n  updatedAt\n}\n\nquery Task($id: ID!) {\n  task(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery Tasks($repository: String!) {\n  tasks(repository: $repository) {\n    ...TaskFields\n  }\n}\n\nmutation CreateTask($input: CreateTaskInput!) {\n  createTask(input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation UpdateTask($id: ID!, $input: UpdateTaskInput!) {\n  updateTask(id: $id, input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation DeleteTask($id: ID!) {\n  deleteTask(id: $id) {\n    ...TaskFields\n  }\n}\n\nsubscription TaskEvents($repositories: [String!]!, $after: String, $minPriority: Priority) {\n  taskEvents(\n    repositories: $repositories\n    after: $after\n    minPriority: $minPriority\n  ) {\n    id\n    type\n    taskId\n    repository\n    changedBy\n    timestamp\n    sequence\n    cursor\n    priority\n    task {\n      ...TaskFields\n    }\n  }\n}\n\nquery Stats {\n  stats {\n    instanceId\n    mode\n    uptimeSeconds\n    connections\n    subscriptions\n    eventsPublished\n    eventsDelivered\n  }\n}\n\nquery Connections {\n  connections {\n    id\n    remoteAddress\n    connectedAt\n    lastHeartbeatAt\n    principalId\n    clientName\n    clientVersion\n    subscriptions\n  }\n}\n\nquery Events($topics: [String!]!, $after: String, $limit: Int) {\n  events(topics: $topics, after: $after, limit: $limit) {\n    events {\n      id\n      type\n      topic\n      sequence\n      cursor\n      timestamp\n      priority\n      payload\n    }\n    cursor\n    hasMore\n  }\n}": types.TaskFieldsFragmentDoc,
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
export function graphql(source: "fragment TaskFields on Task {\n  id\n  repository\n  title\n  description\n  status\n  assignee\n  createdAt\n  updatedAt\n}\n\nquery Task($id: ID!) {\n  task(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery Tasks($repository: String!) {\n  tasks(repository: $repository) {\n    ...TaskFields\n  }\n}\n\nmutation CreateTask($input: CreateTaskInput!) {\n  createTask(input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation UpdateTask($id: ID!, $input: UpdateTaskInput!) {\n  updateTask(id: $id, input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation DeleteTask($id: ID!) {\n  deleteTask(id: $id) {\n    ...TaskFields\n  }\n}\n\nsubscription TaskEvents($repositories: [String!]!, $after: String, $minPriority: Priority) {\n  taskEvents(\n    repositories: $repositories\n    after: $after\n    minPriority: $minPriority\n  ) {\n    id\n    type\n    taskId\n    repository\n    changedBy\n    timestamp\n    sequence\n    cursor\n    priority\n    task {\n      ...TaskFields\n    }\n  }\n}\n\nquery Stats {\n  stats {\n    instanceId\n    mode\n    uptimeSeconds\n    connections\n    subscriptions\n    eventsPublished\n    eventsDelivered\n  }\n}\n\nquery Connections {\n  connections {\n    id\n    remoteAddress\n    connectedAt\n    lastHeartbeatAt\n    principalId\n    clientName\n    clientVersion\n    subscriptions\n  }\n}\n\nquery Events($topics: [String!]!, $after: String, $limit: Int) {\n  events(topics: $topics, after: $after, limit: $limit) {\n    events {\n      id\n      type\n      topic\n      sequence\n      cursor\n      timestamp\n      priority\n      payload\n    }\n    cursor\n    hasMore\n  }\n}"): (typeof documents)["fragment TaskFields on Task {\n  id\n  repository\n  title\n  description\n  status\n  assignee\n  createdAt\n  updatedAt\n}\n\nquery Task($id: ID!) {\n  task(id: $id) {\n    ...TaskFields\n  }\n}\n\nquery Tasks($repository: String!) {\n  tasks(repository: $repository) {\n    ...TaskFields\n  }\n}\n\nmutation CreateTask($input: CreateTaskInput!) {\n  createTask(input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation UpdateTask($id: ID!, $input: UpdateTaskInput!) {\n  updateTask(id: $id, input: $input) {\n    ...TaskFields\n  }\n}\n\nmutation DeleteTask($id: ID!) {\n  deleteTask(id: $id) {\n    ...TaskFields\n  }\n}\n\nsubscription TaskEvents($repositories: [String!]!, $after: String, $minPriority: Priority) {\n  taskEvents(\n    repositories: $repositories\n    after: $after\n    minPriority: $minPriority\n  ) {\n    id\n    type\n    taskId\n    repository\n    changedBy\n    timestamp\n    sequence\n    cursor\n    priority\n    task {\n      ...TaskFields\n    }\n  }\n}\n\nquery Stats {\n  stats {\n    instanceId\n    mode\n    uptimeSeconds\n    connections\n    subscriptions\n    eventsPublished\n    eventsDelivered\n  }\n}\n\nquery Connections {\n  connections {\n    id\n    remoteAddress\n    connectedAt\n    lastHeartbeatAt\n    principalId\n    clientName\n    clientVersion\n    subscriptions\n  }\n}\n\nquery Events($topics: [String!]!, $after: String, $limit: Int) {\n  events(topics: $topics, after: $after, limit: $limit) {\n    events {\n      id\n      type\n      topic\n      sequence\n      cursor\n      timestamp\n      priority\n      payload\n    }\n    cursor\n    hasMore\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;