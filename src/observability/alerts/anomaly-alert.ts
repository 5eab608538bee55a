/** An anomaly the detector raised; delivered by webhook, log line and metric. */
export interface AnomalyAlert {
  /** Stable for one scope, kind and window: receivers dedupe on it (retries carry the same id). */
  id: string;
  kind: 'usage_spike' | 'prompt_loop';
  scope: 'virtual_key' | 'team' | 'customer';
  scope_id: string;
  /** ISO time the alert was raised. */
  time: string;
  /** ISO start of the window that spiked (or of the loop's first repeat). */
  window_start: string;
  /** For spikes: which measures exceeded their baseline, with observed and baseline values. */
  measures: { measure: 'requests' | 'spend_usd' | 'repeats'; observed: number; baseline: number }[];
  message: string;
}
