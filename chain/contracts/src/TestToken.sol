// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice ERC-20 for local networks and tests: anyone may mint. Never deploy on a
/// real network; the other contracts work with any plain ERC-20.
contract TestToken is ERC20 {
    uint256 public constant SCHEMA_VERSION = 1;

    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
