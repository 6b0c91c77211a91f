# Hostile run_as values (tests/hostile-values.json) travel through the settings file and the module
# as data: the canary command planted in them never runs, and each value arrives in the simulated
# system exactly as written (settings, task account, task XML, folder ACL, credential prompt).

BeforeDiscovery {
    $corpus = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../hostile-values.json') | ConvertFrom-Json
    # The values run_as accepts (tests/test_injection.py asserts that the others are refused).
    $accepted = 'single-quote', 'quote-breakout', 'subexpression', 'braced-variable', 'backtick',
        'percent-var', 'unicode-quotes', 'unicode-dash', 'ampersand'
    $script:Cases = foreach ($entry in $corpus.values) {
        if ($accepted -contains $entry.id) { @{ Id = $entry.id; Account = 'CORP\' + $entry.value } }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot '../sim/SimulatedWindows.ps1')
    . (Join-Path $PSScriptRoot '../TestHelpers.ps1')
    function global:Invoke-Canary { Set-Content -LiteralPath $global:WslppCanary -Value 'the canary ran' }
}

AfterAll {
    Remove-Item -LiteralPath Function:\Invoke-Canary -ErrorAction SilentlyContinue
}

Describe 'A hostile run_as (<Id>)' -ForEach $script:Cases {
    BeforeAll {
        $inventory = ConvertTo-Json -Depth 5 -InputObject @{
            servers = @(@{ name = 'WEB-01'; run_as = $Account; wait_for_wsl = '2s'; ports = @(80) })
        }
        $script:Dist = New-TestBundle -Inventory $inventory -FileName 'inventory.json'
    }

    BeforeEach {
        New-SimulatedWindows | Out-Null
        $global:WslppCanary = Join-Path $global:WslppSim.Root 'canary.txt'
    }

    AfterEach { Remove-SimulatedWindows }

    It 'is data in install, update and uninstall: the canary never runs and the value arrives exactly' {
        Write-SimState 'credential.json' @{ Password = 'pw' }   # the admin types a password for the proposed account
        $folder = Join-Path $script:Dist 'WEB-01'
        (Import-PowerShellDataFile -LiteralPath (Join-Path $folder 'WslPortProxy.Settings.psd1')).RunAs | Should -BeExactly $Account

        & (Join-Path $folder 'Install-WslPortProxy.ps1') *> $null
        $LASTEXITCODE | Should -Be 0
        & (Join-Path $folder 'Update-WslPortProxy.ps1') *> $null
        $LASTEXITCODE | Should -Be 0

        Test-Path -LiteralPath $global:WslppCanary | Should -BeFalse
        @(Get-SimCall -Program 'cmdlet' | Where-Object { $_.StartsWith('cmdlet Get-Credential ') }) | Should -BeExactly @("cmdlet Get-Credential $Account")
        $task = (Read-SimState 'tasks.json')['\WslPortProxy\WslPortProxy']
        $task.User | Should -BeExactly $Account
        ([xml] $task.Xml).Task.Principals.Principal.UserId | Should -BeExactly $Account
        ([xml] $task.Xml).Task.Triggers.LogonTrigger.UserId | Should -BeExactly $Account
        (Read-SimState 'icacls.json')[2][5] | Should -BeExactly "${Account}:(OI)(CI)RX"

        & (Join-Path $folder 'Uninstall-WslPortProxy.ps1') -Purge *> $null
        $LASTEXITCODE | Should -Be 0
        Test-Path -LiteralPath $global:WslppCanary | Should -BeFalse
    }
}
