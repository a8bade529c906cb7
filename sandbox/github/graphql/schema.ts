/**
 * SANDBOX FAKE — never part of src/. A faithful SUBSET of GitHub's public GraphQL schema: every
 * type, field, argument and enum value here exists with the same name and type in GitHub's
 * schema, so a query valid here is valid there. Only what Orchestra reads is included.
 */
export const GITHUB_GRAPHQL_SUBSET = /* GraphQL */ `
scalar URI
scalar DateTime
scalar GitObjectID

type Query {
  "Lookup a given repository by the owner and repository name."
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  rateLimit(dryRun: Boolean = false): RateLimit
}

type RateLimit {
  cost: Int!
  limit: Int!
  nodeCount: Int!
  remaining: Int!
  resetAt: DateTime!
  used: Int!
}

interface Node {
  id: ID!
}

interface Actor {
  avatarUrl(size: Int): URI!
  login: String!
  resourcePath: URI!
  url: URI!
}

type User implements Actor & Node & RepositoryOwner {
  id: ID!
  databaseId: Int
  avatarUrl(size: Int): URI!
  login: String!
  resourcePath: URI!
  url: URI!
}

type Bot implements Actor & Node {
  id: ID!
  databaseId: Int
  avatarUrl(size: Int): URI!
  login: String!
  resourcePath: URI!
  url: URI!
}

type Organization implements Actor & Node & RepositoryOwner {
  id: ID!
  databaseId: Int
  avatarUrl(size: Int): URI!
  login: String!
  resourcePath: URI!
  url: URI!
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}

enum OrderDirection {
  ASC
  DESC
}

enum IssueOrderField {
  COMMENTS
  CREATED_AT
  UPDATED_AT
}

input IssueOrder {
  direction: OrderDirection!
  field: IssueOrderField!
}

enum IssueState {
  CLOSED
  OPEN
}

enum PullRequestState {
  CLOSED
  MERGED
  OPEN
}

enum MergeableState {
  CONFLICTING
  MERGEABLE
  UNKNOWN
}

enum MergeStateStatus {
  BEHIND
  BLOCKED
  CLEAN
  DIRTY
  DRAFT
  HAS_HOOKS
  UNKNOWN
  UNSTABLE
}

enum PullRequestReviewDecision {
  APPROVED
  CHANGES_REQUESTED
  REVIEW_REQUIRED
}

enum PullRequestReviewState {
  APPROVED
  CHANGES_REQUESTED
  COMMENTED
  DISMISSED
  PENDING
}

enum StatusState {
  ERROR
  EXPECTED
  FAILURE
  PENDING
  SUCCESS
}

enum CheckStatusState {
  COMPLETED
  IN_PROGRESS
  PENDING
  QUEUED
  REQUESTED
  WAITING
}

enum CheckConclusionState {
  ACTION_REQUIRED
  CANCELLED
  FAILURE
  NEUTRAL
  SKIPPED
  STALE
  STARTUP_FAILURE
  SUCCESS
  TIMED_OUT
}

type Repository implements Node {
  id: ID!
  databaseId: Int
  name: String!
  nameWithOwner: String!
  owner: RepositoryOwner!
  url: URI!
  isPrivate: Boolean!
  deleteBranchOnMerge: Boolean!
  defaultBranchRef: Ref
  issue(number: Int!): Issue
  object(expression: String, oid: GitObjectID): GitObject
  pullRequest(number: Int!): PullRequest
  pullRequests(
    after: String
    baseRefName: String
    before: String
    first: Int
    headRefName: String
    labels: [String!]
    last: Int
    orderBy: IssueOrder
    states: [PullRequestState!]
  ): PullRequestConnection!
}

interface RepositoryOwner {
  avatarUrl(size: Int): URI!
  id: ID!
  login: String!
  resourcePath: URI!
  url: URI!
}

type Ref implements Node {
  id: ID!
  name: String!
  prefix: String!
  refUpdateRule: RefUpdateRule
  target: GitObject
}

"Branch protection rules that are enforced on a ref, as non-admins see them."
type RefUpdateRule {
  allowsDeletions: Boolean!
  allowsForcePushes: Boolean!
  blocksCreations: Boolean!
  pattern: String!
  requiredApprovingReviewCount: Int
  requiredStatusCheckContexts: [String]
  requiresCodeOwnerReviews: Boolean!
  requiresConversationResolution: Boolean!
  requiresLinearHistory: Boolean!
  requiresSignatures: Boolean!
  viewerAllowedToDismissReviews: Boolean!
  viewerCanPush: Boolean!
}

interface GitObject {
  abbreviatedOid: String!
  id: ID!
  oid: GitObjectID!
}

type Commit implements GitObject & Node {
  abbreviatedOid: String!
  id: ID!
  oid: GitObjectID!
  committedDate: DateTime!
  message: String!
  messageHeadline: String!
  url: URI!
  statusCheckRollup: StatusCheckRollup
}

type Issue implements Node {
  id: ID!
  databaseId: Int
  number: Int!
  title: String!
  body: String!
  state: IssueState!
  closed: Boolean!
  url: URI!
  author: Actor
  createdAt: DateTime!
  updatedAt: DateTime!
  lastEditedAt: DateTime
  labels(after: String, before: String, first: Int, last: Int): LabelConnection
  comments(after: String, before: String, first: Int, last: Int): IssueCommentConnection!
  userContentEdits(after: String, before: String, first: Int, last: Int): UserContentEditConnection
  timelineItems(after: String, before: String, first: Int, itemTypes: [IssueTimelineItemsItemType!], last: Int, since: DateTime, skip: Int): IssueTimelineItemsConnection!
  stateReason(enableDuplicate: Boolean = false): IssueStateReason
  parent: Issue
  subIssues(after: String, before: String, first: Int, last: Int): IssueConnection!
  subIssuesSummary: SubIssuesSummary!
}

enum IssueStateReason {
  COMPLETED
  DUPLICATE
  NOT_PLANNED
  REOPENED
}

type IssueConnection {
  nodes: [Issue]
  pageInfo: PageInfo!
  totalCount: Int!
}

type SubIssuesSummary {
  completed: Int!
  percentCompleted: Int!
  total: Int!
}

type Mutation {
  "Adds a comment to an Issue or Pull Request."
  addComment(input: AddCommentInput!): AddCommentPayload
  "Adds a reaction to a subject."
  addReaction(input: AddReactionInput!): AddReactionPayload
  "Adds a sub-issue to a given issue"
  addSubIssue(input: AddSubIssueInput!): AddSubIssuePayload
  "Close an issue."
  closeIssue(input: CloseIssueInput!): CloseIssuePayload
  "Delete a Git Ref."
  deleteRef(input: DeleteRefInput!): DeleteRefPayload
  "Updates an Issue."
  updateIssue(input: UpdateIssueInput!): UpdateIssuePayload
  "Updates an IssueComment object."
  updateIssueComment(input: UpdateIssueCommentInput!): UpdateIssueCommentPayload
}

input AddReactionInput {
  clientMutationId: String
  content: ReactionContent!
  subjectId: ID!
}

type AddReactionPayload {
  clientMutationId: String
}

enum ReactionContent {
  CONFUSED
  EYES
  HEART
  HOORAY
  LAUGH
  ROCKET
  THUMBS_DOWN
  THUMBS_UP
}

input AddCommentInput {
  body: String!
  clientMutationId: String
  subjectId: ID!
}

type AddCommentPayload {
  clientMutationId: String
  commentEdge: IssueCommentEdge
  subject: Node
}

type IssueCommentEdge {
  cursor: String!
  node: IssueComment
}

enum IssueClosedStateReason {
  COMPLETED
  DUPLICATE
  NOT_PLANNED
}

input CloseIssueInput {
  clientMutationId: String
  duplicateIssueId: ID
  issueId: ID!
  stateReason: IssueClosedStateReason
}

type CloseIssuePayload {
  clientMutationId: String
  issue: Issue
}

input DeleteRefInput {
  clientMutationId: String
  refId: ID!
}

type DeleteRefPayload {
  clientMutationId: String
}

input UpdateIssueInput {
  body: String
  clientMutationId: String
  id: ID!
  state: IssueState
  title: String
}

type UpdateIssuePayload {
  actor: Actor
  clientMutationId: String
  issue: Issue
}

input UpdateIssueCommentInput {
  body: String!
  clientMutationId: String
  id: ID!
}

type UpdateIssueCommentPayload {
  clientMutationId: String
  issueComment: IssueComment
}

input AddSubIssueInput {
  clientMutationId: String
  issueId: ID!
  replaceParent: Boolean
  subIssueId: ID
  subIssueUrl: String
}

type AddSubIssuePayload {
  clientMutationId: String
  issue: Issue
  subIssue: Issue
}

type Label implements Node {
  id: ID!
  name: String!
  color: String!
}

type LabelConnection {
  nodes: [Label]
  pageInfo: PageInfo!
  totalCount: Int!
}

type IssueComment implements Node {
  id: ID!
  databaseId: Int
  body: String!
  author: Actor
  createdAt: DateTime!
  viewerDidAuthor: Boolean!
}

type IssueCommentConnection {
  nodes: [IssueComment]
  pageInfo: PageInfo!
  totalCount: Int!
}

type UserContentEdit implements Node {
  id: ID!
  createdAt: DateTime!
  editedAt: DateTime!
  editor: Actor
  updatedAt: DateTime!
}

type UserContentEditConnection {
  nodes: [UserContentEdit]
  pageInfo: PageInfo!
  totalCount: Int!
}

"Only the item types Orchestra reads; GitHub's enum has many more."
enum IssueTimelineItemsItemType {
  CLOSED_EVENT
  LABELED_EVENT
  PARENT_ISSUE_ADDED_EVENT
  PARENT_ISSUE_REMOVED_EVENT
  RENAMED_TITLE_EVENT
  SUB_ISSUE_ADDED_EVENT
  SUB_ISSUE_REMOVED_EVENT
}

type LabeledEvent implements Node {
  id: ID!
  actor: Actor
  createdAt: DateTime!
  label: Label!
}

type RenamedTitleEvent implements Node {
  id: ID!
  actor: Actor
  createdAt: DateTime!
  currentTitle: String!
  previousTitle: String!
}

"A subset of GitHub's union: only the members Orchestra asks for."
type ClosedEvent implements Node {
  id: ID!
  actor: Actor
  createdAt: DateTime!
  stateReason: IssueStateReason
}

type SubIssueAddedEvent implements Node {
  id: ID!
  actor: Actor
  createdAt: DateTime!
  subIssue: Issue
}

type SubIssueRemovedEvent implements Node {
  id: ID!
  actor: Actor
  createdAt: DateTime!
  subIssue: Issue
}

type ParentIssueAddedEvent implements Node {
  id: ID!
  actor: Actor
  createdAt: DateTime!
  parent: Issue
}

type ParentIssueRemovedEvent implements Node {
  id: ID!
  actor: Actor
  createdAt: DateTime!
  parent: Issue
}

union IssueTimelineItems = ClosedEvent | LabeledEvent | ParentIssueAddedEvent | ParentIssueRemovedEvent | RenamedTitleEvent | SubIssueAddedEvent | SubIssueRemovedEvent

type IssueTimelineItemsConnection {
  filteredCount: Int!
  nodes: [IssueTimelineItems]
  pageCount: Int!
  pageInfo: PageInfo!
  totalCount: Int!
}

type PullRequestConnection {
  nodes: [PullRequest]
  pageInfo: PageInfo!
  totalCount: Int!
}

type PullRequest implements Node {
  id: ID!
  databaseId: Int
  number: Int!
  title: String!
  body: String!
  url: URI!
  state: PullRequestState!
  closed: Boolean!
  merged: Boolean!
  mergedAt: DateTime
  mergeable: MergeableState!
  mergeStateStatus: MergeStateStatus!
  reviewDecision: PullRequestReviewDecision
  isDraft: Boolean!
  headRef: Ref
  headRefName: String!
  headRefOid: GitObjectID!
  baseRef: Ref
  baseRefName: String!
  baseRefOid: GitObjectID!
  headRepository: Repository
  author: Actor
  createdAt: DateTime!
  updatedAt: DateTime!
  comments(after: String, before: String, first: Int, last: Int): IssueCommentConnection!
  reviews(after: String, author: String, before: String, first: Int, last: Int, states: [PullRequestReviewState!]): PullRequestReviewConnection
  commits(after: String, before: String, first: Int, last: Int): PullRequestCommitConnection!
}

type PullRequestReviewConnection {
  nodes: [PullRequestReview]
  pageInfo: PageInfo!
  totalCount: Int!
}

type PullRequestReview implements Node {
  id: ID!
  databaseId: Int
  state: PullRequestReviewState!
  body: String!
  authorCanPushToRepository: Boolean!
  author: Actor
  commit: Commit
  submittedAt: DateTime
  comments(after: String, before: String, first: Int, last: Int): PullRequestReviewCommentConnection!
}

type PullRequestReviewCommentConnection {
  nodes: [PullRequestReviewComment]
  pageInfo: PageInfo!
  totalCount: Int!
}

type PullRequestReviewComment implements Node {
  id: ID!
  databaseId: Int
  path: String!
  line: Int
  body: String!
  author: Actor
}

type PullRequestCommitConnection {
  nodes: [PullRequestCommit]
  pageInfo: PageInfo!
  totalCount: Int!
}

type PullRequestCommit implements Node {
  id: ID!
  commit: Commit!
  url: URI!
}

type StatusCheckRollup implements Node {
  id: ID!
  state: StatusState!
  commit: Commit
  contexts(after: String, before: String, first: Int, last: Int): StatusCheckRollupContextConnection!
}

union StatusCheckRollupContext = CheckRun | StatusContext

type StatusCheckRollupContextConnection {
  nodes: [StatusCheckRollupContext]
  pageInfo: PageInfo!
  totalCount: Int!
}

type CheckRun implements Node {
  id: ID!
  databaseId: Int
  name: String!
  status: CheckStatusState!
  conclusion: CheckConclusionState
  title: String
  summary: String
  text: String
  detailsUrl: URI
  startedAt: DateTime
  completedAt: DateTime
  url: URI!
  checkSuite: CheckSuite!
}

type CheckSuite implements Node {
  id: ID!
  databaseId: Int
  app: App
  status: CheckStatusState!
  conclusion: CheckConclusionState
}

type App implements Node {
  id: ID!
  databaseId: Int
  name: String!
  slug: String!
}

type StatusContext implements Node {
  id: ID!
  context: String!
  state: StatusState!
  description: String
  targetUrl: URI
  createdAt: DateTime!
}
`;
