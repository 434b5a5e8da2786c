"""Regulators' real-name platforms (全国建筑工人管理服务信息平台 and the provinces' copies):
their OpenAPI framing, signature and field cipher, as a client speaks it. Like terminals/, this
package knows nothing of the server; the upload queue that feeds it lives in server/."""
