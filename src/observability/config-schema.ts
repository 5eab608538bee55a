// The schema lives in src/config (config imports nothing outside its folder); features read it from here.
export { observabilitySchema, alertsSchema, webhookSchema, otlpSchema, seasonalSchema, softActionSchema, type ObservabilityConfig, type AlertsConfig, type SoftActionConfig, type WebhookConfig, type OtlpConfig } from '../config/observability-schema.js';
