import { $Enums } from "@prisma/client";
import {
  ACTIVE_STATUSES,
  DEPLOYMENT_STATUSES,
  ENDED_STATUSES,
} from "../../src/store/deployment-statuses.js";

describe("deployment statuses", () => {
  it("are the schema's DeploymentStatus enum, in its order", () => {
    expect(DEPLOYMENT_STATUSES).toEqual(Object.values($Enums.DeploymentStatus));
  });

  it("are each either active or ended, never both", () => {
    expect([...ACTIVE_STATUSES, ...ENDED_STATUSES].sort()).toEqual([...DEPLOYMENT_STATUSES].sort());
  });
});
