// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @notice OpenZeppelin's TimelockController under a name of our own so that build.sh
/// emits its ABI and bytecode next to the other contracts. It owns Staking,
/// BlobRegistry and Settlement.
contract AssayTimelock is TimelockController {
    uint256 public constant SCHEMA_VERSION = 1;

    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
