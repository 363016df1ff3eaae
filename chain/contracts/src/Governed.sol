// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @notice Governance base: the owner is the TimelockController (every parameter change
/// goes through its delay); a guardian may pause at once in an emergency, only the
/// timelock may unpause or move ownership.
abstract contract Governed is Ownable, Pausable {
    address public guardian;

    event GuardianChanged(address indexed guardian);

    error NotGuardian(address caller);
    error RenounceDisabled();

    constructor(address governance, address guardian_) Ownable(governance) {
        guardian = guardian_;
        emit GuardianChanged(guardian_);
    }

    function setGuardian(address guardian_) external onlyOwner {
        guardian = guardian_;
        emit GuardianChanged(guardian_);
    }

    function pause() external {
        if (msg.sender != owner() && msg.sender != guardian) revert NotGuardian(msg.sender);
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }

    /// A contract without governance could never be unpaused or retuned.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }
}
