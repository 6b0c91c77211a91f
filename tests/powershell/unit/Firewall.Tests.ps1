# Unit tests: the inbound firewall rules (Private/Firewall.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'ConvertTo-ComparableText' {
    It 'sorts, lower-cases, splits on commas and turns masks into prefix lengths' {
        InModuleScope WslPortProxy {
            ConvertTo-ComparableText -Value @('LocalSubnet', '10.0.0.0/255.255.0.0, 192.168.1.0/255.255.255.0') |
                Should -Be '10.0.0.0/16,192.168.1.0/24,localsubnet'
            ConvertTo-ComparableText -Value $null | Should -Be ''
        }
    }
}

Describe 'Get-FirewallRuleSet' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'reads our group and both filter kinds in three queries, joined by InstanceID, whatever their number' {
        foreach ($port in 80, 81, 82) {
            $null = New-NetFirewallRule -Name "WslPortProxy-TCP-0.0.0.0-$port" -DisplayName 'x' -Group 'WSL Port Proxy' -Direction Inbound -Action Allow -Protocol TCP -LocalPort $port -RemoteAddress LocalSubnet -Profile Domain -Enabled True
        }
        $null = New-NetFirewallRule -Name 'Other' -DisplayName 'x' -Group 'Other' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 22 -Profile Domain -Enabled True
        Clear-SimCall
        InModuleScope WslPortProxy {
            $set = Get-FirewallRuleSet
            @($set.Keys | Sort-Object) | Should -Be @('WslPortProxy-TCP-0.0.0.0-80', 'WslPortProxy-TCP-0.0.0.0-81', 'WslPortProxy-TCP-0.0.0.0-82')
            $set['WslPortProxy-TCP-0.0.0.0-81'].PortFilter.LocalPort | Should -Be @('81')
            $set['WslPortProxy-TCP-0.0.0.0-82'].AddressFilter.RemoteAddress | Should -Be @('LocalSubnet')
        }
        Get-SimCall -Program 'cim' | Should -Be @('cim Get-NetFirewallRule -Group WSL Port Proxy', 'cim Get-NetFirewallPortFilter -All', 'cim Get-NetFirewallAddressFilter -All')
    }

    It 'Given no rule of ours, makes one query and returns nothing' {
        InModuleScope WslPortProxy { (Get-FirewallRuleSet).Count | Should -Be 0 }
        @(Get-SimCall -Program 'cim') | Should -HaveCount 1
    }
}

Describe 'Sync-FirewallRule' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'creates a missing rule in our group, then keeps it as it is' {
        $spec = Get-TestFirewallSpec
        InModuleScope WslPortProxy -Parameters @{ Spec = $spec } {
            param($Spec)
            $log = Open-RunLog -Directory $TestDrive -NoFile
            (Sync-FirewallRule -Rule @($Spec) -FirewallProfile @('Domain', 'Private') -Existing (Get-FirewallRuleSet) -Log $log).Action | Should -Be 'Created'
            (Sync-FirewallRule -Rule @($Spec) -FirewallProfile @('Domain', 'Private') -Existing (Get-FirewallRuleSet) -Log $log).Action | Should -Be 'Kept'
        }
        $rule = (Get-SimFirewall)['WslPortProxy-TCP-0.0.0.0-80']
        $rule.Group | Should -Be 'WSL Port Proxy'
        $rule.RemoteAddress | Should -Be @('LocalSubnet')
        @(Get-SimCall -Program 'cmdlet') | Should -Be @('cmdlet New-NetFirewallRule WslPortProxy-TCP-0.0.0.0-80')
    }

    It 'corrects a rule someone changed: <Field>' -ForEach @(
        @{ Field = 'RemoteAddress'; Value = @('Any') }
        @{ Field = 'Enabled'; Value = 'False' }
        @{ Field = 'Profile'; Value = @('Public') }
        @{ Field = 'LocalPort'; Value = @('81') }
    ) {
        $spec = Get-TestFirewallSpec
        InModuleScope WslPortProxy -Parameters @{ Spec = $spec } {
            param($Spec)
            $null = Sync-FirewallRule -Rule @($Spec) -FirewallProfile @('Domain', 'Private') -Existing (Get-FirewallRuleSet) -Log (Open-RunLog -Directory $TestDrive -NoFile)
        }
        $rules = Get-SimFirewall
        $rules['WslPortProxy-TCP-0.0.0.0-80'][$Field] = $Value
        Write-SimState 'firewall.json' $rules
        InModuleScope WslPortProxy -Parameters @{ Spec = $spec } {
            param($Spec)
            (Sync-FirewallRule -Rule @($Spec) -FirewallProfile @('Domain', 'Private') -Existing (Get-FirewallRuleSet) -Log (Open-RunLog -Directory $TestDrive -NoFile)).Action |
                Should -Be 'Corrected'
        }
        (Get-SimFirewall)['WslPortProxy-TCP-0.0.0.0-80'].RemoteAddress | Should -Be @('LocalSubnet')
    }

    It 'accepts the way Windows reports a subnet (a.b.c.d/255.255.255.0) as right' {
        $spec = Get-TestFirewallSpec -Allow '192.168.0.0/24'
        InModuleScope WslPortProxy -Parameters @{ Spec = $spec } {
            param($Spec)
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $null = Sync-FirewallRule -Rule @($Spec) -FirewallProfile @('Domain') -Existing (Get-FirewallRuleSet) -Log $log
            (Sync-FirewallRule -Rule @($Spec) -FirewallProfile @('Domain') -Existing (Get-FirewallRuleSet) -Log $log).Action | Should -Be 'Kept'
        }
    }

    It 'Given -WhatIf, creates nothing and reports the planned creation' {
        $spec = Get-TestFirewallSpec
        InModuleScope WslPortProxy -Parameters @{ Spec = $spec } {
            param($Spec)
            $changes = @(Sync-FirewallRule -Rule @($Spec) -FirewallProfile @('Domain') -Existing (Get-FirewallRuleSet) -Log (Open-RunLog -Directory $TestDrive -NoFile) -WhatIf)
            @($changes | ForEach-Object { "$($_.Action) planned=$($_.Planned)" }) | Should -Be @('Created planned=True')
        }
        Get-SimFirewall | Should -BeNullOrEmpty
    }

    It 'Given the firewall refuses, fails with exit code 6 naming the rule' {
        Write-SimState 'firewall-faults.json' @{ deny = $true }
        $spec = Get-TestFirewallSpec
        InModuleScope WslPortProxy -Parameters @{ Spec = $spec } {
            param($Spec)
            { Sync-FirewallRule -Rule @($Spec) -FirewallProfile @('Domain') -Existing (Get-FirewallRuleSet) -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.FirewallFailed' -ExpectedMessage 'Firewall rule WslPortProxy-TCP-0.0.0.0-80 could not be applied: Access is denied.'
        }
    }
}

Describe 'Remove-StaleFirewallRule' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'removes its own stale rule, releases one in another group and one that is gone' {
        $null = New-NetFirewallRule -Name 'WslPortProxy-TCP-0.0.0.0-81' -DisplayName 'x' -Group 'WSL Port Proxy' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 81 -Profile Domain -Enabled True
        $null = New-NetFirewallRule -Name 'WslPortProxy-TCP-0.0.0.0-82' -DisplayName 'x' -Group 'Remote Desktop' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 82 -Profile Domain -Enabled True
        InModuleScope WslPortProxy {
            $managed = @('WslPortProxy-TCP-0.0.0.0-80', 'WslPortProxy-TCP-0.0.0.0-81', 'WslPortProxy-TCP-0.0.0.0-82', 'WslPortProxy-TCP-0.0.0.0-83')
            $changes = @(Remove-StaleFirewallRule -Wanted @('WslPortProxy-TCP-0.0.0.0-80') -Managed $managed -Log (Open-RunLog -Directory $TestDrive -NoFile) -WarningVariable warnings -WarningAction SilentlyContinue)
            @($changes | ForEach-Object { "$($_.Action) $($_.Name)" }) | Should -Be @('Removed WslPortProxy-TCP-0.0.0.0-81', 'Released WslPortProxy-TCP-0.0.0.0-82', 'Released WslPortProxy-TCP-0.0.0.0-83')
            "$($warnings[0])" | Should -Be "Leaving firewall rule WslPortProxy-TCP-0.0.0.0-82 alone: it is in group 'Remote Desktop', not 'WSL Port Proxy', so it is not ours."
        }
        @((Get-SimFirewall).Keys) | Should -Be @('WslPortProxy-TCP-0.0.0.0-82')
    }

    It 'Given the firewall refuses, fails with exit code 6' {
        $null = New-NetFirewallRule -Name 'WslPortProxy-TCP-0.0.0.0-81' -DisplayName 'x' -Group 'WSL Port Proxy' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 81 -Profile Domain -Enabled True
        InModuleScope WslPortProxy {
            Mock Remove-NetFirewallRule { throw 'Access is denied.' }
            { Remove-StaleFirewallRule -Wanted @() -Managed @('WslPortProxy-TCP-0.0.0.0-81') -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.FirewallFailed' -ExpectedMessage 'Firewall rule WslPortProxy-TCP-0.0.0.0-81 could not be removed: Access is denied.'
        }
    }
}
