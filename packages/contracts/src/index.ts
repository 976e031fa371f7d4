export * from './events.js'
export { topicNames, type TopicNames } from './topic-names.js'
