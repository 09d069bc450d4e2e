import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes: kept current by the workflows so the API can filter the portfolio through Temporal
 * visibility without querying each workflow. Registered at start-up (embedded dev server and real clusters alike).
 * SQL visibility allows 10 Keyword, 3 Int/Bool/Double/Datetime/Text: this set fits.
 */
export const searchAttributes = {
  ipaCode: defineSearchAttributeKey('IoIpaCode', SearchAttributeType.KEYWORD),
  comuneName: defineSearchAttributeKey('IoComuneName', SearchAttributeType.TEXT),
  province: defineSearchAttributeKey('IoProvince', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('IoStage', SearchAttributeType.KEYWORD),
  scenario: defineSearchAttributeKey('IoScenario', SearchAttributeType.KEYWORD),
  deadline: defineSearchAttributeKey('IoDeadline', SearchAttributeType.DATETIME),
  servicesActive: defineSearchAttributeKey('IoServicesActive', SearchAttributeType.INT),
  servicesTotal: defineSearchAttributeKey('IoServicesTotal', SearchAttributeType.INT),
  atRisk: defineSearchAttributeKey('IoAtRisk', SearchAttributeType.BOOL),
  late: defineSearchAttributeKey('IoLate', SearchAttributeType.BOOL),
  fundingAtRiskEur: defineSearchAttributeKey('IoFundingAtRiskEur', SearchAttributeType.DOUBLE),
  fundingSecuredEur: defineSearchAttributeKey('IoFundingSecuredEur', SearchAttributeType.DOUBLE),
  fundingLostEur: defineSearchAttributeKey('IoFundingLostEur', SearchAttributeType.DOUBLE),
  /** When the Comune entered its stage, or the service its status: "since when" in the task inbox. */
  stageSince: defineSearchAttributeKey('IoStageSince', SearchAttributeType.DATETIME),
  serviceStatus: defineSearchAttributeKey('IoServiceStatus', SearchAttributeType.KEYWORD),
} as const;

export const allSearchAttributeKeys = Object.values(searchAttributes);
