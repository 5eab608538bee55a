/** Why generation stopped: a unified value every dialect maps onto, plus the provider's raw word. */
export interface FinishReason {
  unified: UnifiedFinishReason;
  raw: string | undefined;
}

export type UnifiedFinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'error' | 'other';
