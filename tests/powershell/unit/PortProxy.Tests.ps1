# Unit tests: IP Helper, reading and writing portproxy rules (Private/PortProxy.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Start-IpHelperService' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given IP Helper is manual and stopped, makes it automatic and starts it' {
        Write-SimState 'services.json' @{ iphlpsvc = @{ Status = 'Stopped'; StartType = 'Manual' } }
        InModuleScope WslPortProxy { Start-IpHelperService -Log (Open-RunLog -Directory $TestDrive -NoFile) }
        (Read-SimState 'services.json').iphlpsvc.StartType | Should -Be 'Automatic'
        (Read-SimState 'services.json').iphlpsvc.Status | Should -Be 'Running'
    }

    It 'Given it is running and automatic, touches nothing' {
        InModuleScope WslPortProxy {
            Mock Set-Service { }
            Mock Start-Service { }
            Start-IpHelperService -Log (Open-RunLog -Directory $TestDrive -NoFile)
            Should -Invoke Set-Service -Times 0 -Exactly
            Should -Invoke Start-Service -Times 0 -Exactly
        }
    }

    It 'Given it will not start, fails with exit code 7' {
        Write-SimState 'services.json' @{ iphlpsvc = @{ Status = 'Stopped'; StartType = 'Automatic'; RefuseStart = $true } }
        InModuleScope WslPortProxy {
            { Start-IpHelperService -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.IpHelperNotRunning' -ExpectedMessage 'The IP Helper service (iphlpsvc) is not running and could not be started: *'
        }
    }
}

Describe 'Get-PortProxyRule' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'reads the v4tov4 rules from the registry and ignores other values' {
        Set-SimPortProxy @{ '0.0.0.0/80' = '172.28.1.1/80'; '10.0.0.5/3389' = '10.0.0.6/3389' }
        InModuleScope WslPortProxy {
            $rules = Get-PortProxyRule
            $rules.Count | Should -Be 2   # PSPath and friends are not rules
            $rules['10.0.0.5/3389'] | Should -Be '10.0.0.6/3389'
        }
    }

    It 'reads the v6tov4 rules too, each IPv6 address in its RFC 5952 form' {
        Set-SimPortProxy @{ '0.0.0.0/80' = '172.28.1.1/80' }
        Set-SimPortProxyV6 @{ '::/80' = '172.28.1.1/80'; '2001:DB8:0:0::12/8443' = '172.28.1.1/443' }
        InModuleScope WslPortProxy {
            $rules = Get-PortProxyRule
            $keys = [string[]] @($rules.Keys)
            [Array]::Sort($keys, [StringComparer]::Ordinal)
            $keys | Should -Be @('0.0.0.0/80', '2001:db8::12/8443', '::/80')
            $rules['2001:db8::12/8443'] | Should -Be '172.28.1.1/443'
            Get-PortProxyKind -ListenAddress '::' | Should -Be 'v6tov4'
            Get-PortProxyKind -ListenAddress '0.0.0.0' | Should -Be 'v4tov4'
        }
    }

    It 'Given no key at all (a machine that never had a rule), returns no rules' {
        InModuleScope WslPortProxy { (Get-PortProxyRule).Count | Should -Be 0 }
    }
}

Describe 'Sync-PortProxyRule and Invoke-PortProxyChange' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        $script:Directory = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
    }
    AfterEach { Remove-SimulatedWindows }

    It 'adds a missing rule, rewrites a changed one in place with set, and adopts a right one it did not make' {
        Set-SimPortProxy @{ '0.0.0.0/81' = '172.28.1.1/81'; '0.0.0.0/82' = '172.28.9.9/82' }
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            $rules = @(ConvertTo-PortRule -Port @(@{ ListenAddress = '0.0.0.0'; ListenPort = 80; LastListenPort = 82; ConnectPort = 80; AllowFrom = @() }))
            $current = Get-PortProxyRule
            $managed = @{ '0.0.0.0/81' = '172.28.1.1/81' }
            $changes = @(Sync-PortProxyRule -Rule $rules -Address '172.28.9.9' -Current $current -Managed $managed -Directory $Directory -Log (Open-RunLog -Directory $TestDrive -NoFile))
            @($changes | ForEach-Object { "$($_.Action) $($_.Name) $($_.Target)" }) |
                Should -Be @('Adopted 0.0.0.0/82 172.28.9.9/82', 'Added 0.0.0.0/80 172.28.9.9/80', 'Rewrote 0.0.0.0/81 172.28.9.9/81')
            $managed.Count | Should -Be 1   # inputs are read, never written
        }
        Get-SimNetshCommand | Should -Be @(
            'interface portproxy add v4tov4 listenaddress=0.0.0.0 listenport=80 connectaddress=172.28.9.9 connectport=80 protocol=tcp',
            'interface portproxy set v4tov4 listenaddress=0.0.0.0 listenport=81 connectaddress=172.28.9.9 connectport=81 protocol=tcp')
        Test-Path -LiteralPath (Join-Path $script:Directory 'netsh-commands.txt') | Should -BeFalse
    }

    It 'warns when it takes over a rule it did not create, and records its old target as Previous' {
        Set-SimPortProxy @{ '0.0.0.0/80' = '10.0.0.5/80' }
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            $rules = @(ConvertTo-PortRule -Port @(@{ ListenAddress = '0.0.0.0'; ListenPort = 80; LastListenPort = 80; ConnectPort = 80; AllowFrom = @() }))
            $changes = @(Sync-PortProxyRule -Rule $rules -Address '172.28.9.9' -Current (Get-PortProxyRule) -Managed @{} -Directory $Directory -Log (Open-RunLog -Directory $TestDrive -NoFile) -WarningVariable warnings -WarningAction SilentlyContinue)
            "$($warnings[0])" | Should -Be 'Taking over portproxy 0.0.0.0/80, which pointed at 10.0.0.5/80 and was not created by this tool; removing it from the inventory or -Remove puts it back to 10.0.0.5/80.'
            @($changes | ForEach-Object { "$($_.Action) $($_.Target) was $($_.Previous) written=$($_.Written)" }) | Should -Be @('TookOver 172.28.9.9/80 was 10.0.0.5/80 written=True')
        }
    }

    It 'Given -WhatIf, runs no netsh and returns the planned change only' {
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            $rules = @(ConvertTo-PortRule -Port @(@{ ListenAddress = '0.0.0.0'; ListenPort = 80; LastListenPort = 80; ConnectPort = 80; AllowFrom = @() }))
            $changes = @(Sync-PortProxyRule -Rule $rules -Address '172.28.9.9' -Current @{} -Managed @{} -Directory $Directory -Log (Open-RunLog -Directory $TestDrive -NoFile) -WhatIf)
            @($changes | ForEach-Object { "$($_.Action) $($_.Name) planned=$($_.Planned) written=$($_.Written)" }) | Should -Be @('Added 0.0.0.0/80 planned=True written=False')
            (Merge-StateChange -State (New-State) -Change $changes).Text | Should -Be '|||'   # a plan changes no state
        }
        Get-SimCall -Program 'netsh' | Should -BeNullOrEmpty
    }

    It 'Given netsh fails half-way, emits what the registry confirms, then fails with exit code 5' {
        Write-SimState 'netsh-faults.json' @{ fail_write_numbers = @(2); writes = 0 }
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            $rules = @(ConvertTo-PortRule -Port @(@{ ListenAddress = '0.0.0.0'; ListenPort = 80; LastListenPort = 81; ConnectPort = 80; AllowFrom = @() }))
            $seen = New-Object System.Collections.Generic.List[object]
            { Sync-PortProxyRule -Rule $rules -Address '172.28.9.9' -Current @{} -Managed @{} -Directory $Directory -Log (Open-RunLog -Directory $TestDrive -NoFile) | ForEach-Object { $seen.Add($_) } } |
                Should -Throw -ErrorId 'WslPortProxy.NetshFailed' -ExpectedMessage 'netsh -f with 2 portproxy commands failed (exit 1): The requested operation requires elevation (Run as administrator).'
            @($seen | ForEach-Object { $_.Name }) | Should -Be @('0.0.0.0/80')
        }
    }

    It 'Given netsh reports success but the registry disagrees, fails with exit code 5' {
        Write-SimState 'netsh-faults.json' @{ fail_write_numbers = @(); ignore_write_numbers = @(1); writes = 0 }
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            $rules = @(ConvertTo-PortRule -Port @(@{ ListenAddress = '0.0.0.0'; ListenPort = 80; LastListenPort = 80; ConnectPort = 80; AllowFrom = @() }))
            { Sync-PortProxyRule -Rule $rules -Address '172.28.9.9' -Current @{} -Managed @{} -Directory $Directory -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.NetshNotApplied' -ExpectedMessage 'netsh reported success, but portproxy 0.0.0.0/80 is not forwarding to 172.28.9.9/80 in the registry.'
        }
    }

    It 'Given a single command fails, names that command' {
        Write-SimState 'netsh-faults.json' @{ fail_write_numbers = @(1); writes = 0 }
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            $command = [pscustomobject]@{ Key = '0.0.0.0/80'; Target = $null; Words = @('delete', 'v4tov4', 'listenaddress=0.0.0.0', 'listenport=80') }
            { Invoke-PortProxyBatch -Command @($command) -Directory $Directory } |
                Should -Throw -ErrorId 'WslPortProxy.NetshFailed' -ExpectedMessage 'netsh interface portproxy delete v4tov4 listenaddress=0.0.0.0 listenport=80 failed (exit 1): *'
        }
    }
}

Describe 'Remove-StalePortProxyRule' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        $script:Directory = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
    }
    AfterEach { Remove-SimulatedWindows }

    It 'deletes its own stale rule, restores a taken-over one, releases one someone changed or deleted, and keeps wanted ones' {
        Set-SimPortProxy @{ '0.0.0.0/80' = '10.1.1.1/80'; '0.0.0.0/81' = '10.1.1.1/81'; '0.0.0.0/82' = '10.9.9.9/82'; '0.0.0.0/84' = '10.1.1.1/84'; '0.0.0.0/85' = '10.5.5.5/85' }
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            $managed = @{ '0.0.0.0/80' = '10.1.1.1/80'; '0.0.0.0/81' = '10.1.1.1/81'; '0.0.0.0/82' = '10.1.1.1/82'; '0.0.0.0/83' = '10.1.1.1/83'; '0.0.0.0/84' = '10.1.1.1/84'; '0.0.0.0/85' = '10.5.5.5/85' }
            $takenOver = @{ '0.0.0.0/84' = '10.0.0.5/8084'; '0.0.0.0/85' = '10.5.5.5/85' }
            $changes = @(Remove-StalePortProxyRule -Wanted @('0.0.0.0/80') -Current (Get-PortProxyRule) -Managed $managed -TakenOver $takenOver -Directory $Directory -Log (Open-RunLog -Directory $TestDrive -NoFile) -WarningVariable warnings -WarningAction SilentlyContinue)
            @($changes | ForEach-Object { "$($_.Action) $($_.Name) $($_.Target)" }) | Should -Be @('Released 0.0.0.0/82 ', 'Released 0.0.0.0/83 ', 'Released 0.0.0.0/85 ', 'Deleted 0.0.0.0/81 ', 'Restored 0.0.0.0/84 10.0.0.5/8084')
            "$($warnings[0])" | Should -Be 'Leaving portproxy 0.0.0.0/82 alone: it points at 10.9.9.9/82, not at 10.1.1.1/82 as this tool wrote it, so it is not ours.'
        }
        (Get-SimPortProxy).Keys | Sort-Object | Should -Be @('0.0.0.0/80', '0.0.0.0/82', '0.0.0.0/84', '0.0.0.0/85')
        (Get-SimPortProxy)['0.0.0.0/84'] | Should -Be '10.0.0.5/8084'
        Get-SimNetshCommand | Should -Be @('interface portproxy delete v4tov4 listenaddress=0.0.0.0 listenport=81', 'interface portproxy set v4tov4 listenaddress=0.0.0.0 listenport=84 connectaddress=10.0.0.5 connectport=8084 protocol=tcp')
    }
}
