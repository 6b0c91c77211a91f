# Unit tests: Uninstall-WslPortProxy (Public/Uninstall-WslPortProxy.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
    $script:Bundle = Get-UnitBundle
    $script:Settings = Join-Path $script:Bundle 'WslPortProxy.Settings.psd1'
}

Describe 'Uninstall-WslPortProxy' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Uninstall-WslPortProxy removes the task and the rules, and reports what it did' {
        $null = Update-WslPortProxy -Settings $script:Settings
        $null = Register-ScheduledTask -TaskName 'WslPortProxy' -TaskPath '\WslPortProxy\' -Xml '<Task/>' -User 'x'
        $result = Uninstall-WslPortProxy -Settings $script:Settings -Purge
        $result.TaskRemoved | Should -BeTrue
        $result.RulesRemoved | Should -Be 2
        $result.LogsKept | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $global:WslppSim.ProgramData 'WslPortProxy') | Should -BeFalse
    }

    It 'Uninstall-WslPortProxy refuses unelevated (2) and reports a failed removal (5)' {
        Write-SimState 'whoami.json' @{ elevated = $false }
        { Uninstall-WslPortProxy -Settings $script:Settings } | Should -Throw -ErrorId 'WslPortProxy.NotElevated,Uninstall-WslPortProxy'
        Write-SimState 'whoami.json' @{ elevated = $true }
        InModuleScope WslPortProxy -Parameters @{ Settings = $script:Settings } {
            param($Settings)
            Mock Update-WslPortProxy { throw 'netsh broke' }
            { Uninstall-WslPortProxy -Settings $Settings } | Should -Throw -ErrorId 'WslPortProxy.RemoveFailed,Uninstall-WslPortProxy' -ExpectedMessage 'Removing the rules failed: netsh broke'
        }
    }

    It 'Uninstall-WslPortProxy fails with exit 8 before it unregisters anything when the reconcile lock stays taken; -WhatIf takes none' {
        InModuleScope WslPortProxy -Parameters @{ Settings = $script:Settings } {
            param($Settings)
            Mock Enter-Lock { $null }
            Mock Unregister-PortProxyTask { $true }
            { Uninstall-WslPortProxy -Settings $Settings } | Should -Throw -ErrorId 'WslPortProxy.LockTimeout,Uninstall-WslPortProxy' -ExpectedMessage 'Another run has been reconciling this server for too long; nothing was changed.*'
            Should -Invoke Unregister-PortProxyTask -Times 0 -Exactly
            Mock Update-WslPortProxy { [pscustomobject]@{ Removed = 0 } }
            $null = Uninstall-WslPortProxy -Settings $Settings -WhatIf
            Should -Invoke Enter-Lock -Times 1 -Exactly   # only the first call
        }
    }
}
